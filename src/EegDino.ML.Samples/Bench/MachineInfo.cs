using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace EegDino.ML.Samples.Bench;

/// <summary>The machine a bench ran on, as written to the JSON report.</summary>
internal sealed class MachineInfo
{
    [JsonPropertyName("cpu_model")] public string CpuModel { get; init; } = "";

    [JsonPropertyName("cores")] public int Cores { get; init; }

    /// <summary>The CPU flags that decide reduced-precision speed (avx512_bf16, amx_bf16, amx_tile, avx512_fp16, ...).</summary>
    [JsonPropertyName("cpu_flags")] public IReadOnlyList<string> CpuFlags { get; init; } = [];

    [JsonPropertyName("torch_threads")] public int TorchThreads { get; init; }

    [JsonPropertyName("torch")] public string Torch { get; init; } = "";

    [JsonPropertyName("os")] public string OperatingSystem { get; init; } = "";

    /// <summary>The GPU's name, when the bench ran on CUDA.</summary>
    [JsonPropertyName("gpu")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Gpu { get; init; }

    public static MachineInfo Read(bool cuda)
    {
        string[] cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        string Field(string name) => cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(':'))?.Split(':', 2)[1].Trim() ?? "";
        return new MachineInfo
        {
            CpuModel = Field("model name") is { Length: > 0 } model ? model : RuntimeInformation.ProcessArchitecture.ToString(),
            Cores = Environment.ProcessorCount,
            CpuFlags = Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => f.Contains("bf16", StringComparison.Ordinal) || f.StartsWith("amx", StringComparison.Ordinal) || f == "avx512_fp16" || f == "f16c")
                .Order(StringComparer.Ordinal).ToList(),
            TorchThreads = TorchSharp.torch.get_num_threads(),
            Torch = TorchSharp.torch.__version__,
            OperatingSystem = RuntimeInformation.OSDescription,
            Gpu = cuda ? GpuName() : null,
        };
    }

    /// <summary>The first GPU's name from nvidia-smi (TorchSharp has no device-name call); "CUDA device" when that fails.</summary>
    private static string GpuName()
    {
        try
        {
            var start = new ProcessStartInfo("nvidia-smi", "--query-gpu=name --format=csv,noheader") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start);
            if (process is null) return "CUDA device";
            string name = process.StandardOutput.ReadLine()?.Trim() ?? "";
            process.WaitForExit(5000);
            return name.Length > 0 ? name : "CUDA device";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "CUDA device";
        }
    }
}
