using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Whether the processor has a fast path for a reduced precision, and the note the library gives when
/// it has none. libtorch runs bfloat16 and float16 on every CPU (correct everywhere); only the speed
/// depends on the hardware: bfloat16 matrix products are fast with AMX-BF16 (Intel Sapphire Rapids and
/// later) or AVX512-BF16, float16 only with AMX-FP16; without them libtorch converts to float32 inside
/// its kernels and is slower than plain float32 (measured figures: docs/encoder.md).
/// </summary>
internal static class PrecisionSupport
{
    /// <summary>The reduced-precision features of a processor; <see cref="Source"/> says how they were read.</summary>
    internal sealed record CpuFeatures(bool Avx512Bf16, bool AmxBf16, bool Avx512Fp16, bool AmxFp16, string Source)
    {
        public bool FastBFloat16 => AmxBf16 || Avx512Bf16;

        public bool FastFloat16 => AmxFp16;

        /// <summary>The flags that are present, in /proc/cpuinfo's spelling (for logs and bench output).</summary>
        public string Describe()
        {
            var present = new List<string>();
            if (Avx512Bf16) present.Add("avx512_bf16");
            if (AmxBf16) present.Add("amx_bf16");
            if (Avx512Fp16) present.Add("avx512_fp16");
            if (AmxFp16) present.Add("amx_fp16");
            return present.Count == 0 ? $"none of avx512_bf16, amx_bf16, avx512_fp16, amx_fp16 ({Source})" : $"{string.Join(", ", present)} ({Source})";
        }
    }

    private static readonly Lazy<CpuFeatures?> s_cpu = new(Detect);

    /// <summary>This machine's features, or null when they cannot be read (not an x86 processor).</summary>
    public static CpuFeatures? Cpu => s_cpu.Value;

    /// <summary>
    /// The features from Linux's <c>/proc/cpuinfo</c> when there is one (the kernel lists AMX only when it
    /// enables it), else from the CPUID instruction, else null.
    /// </summary>
    private static CpuFeatures? Detect()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (OperatingSystem.IsLinux() && File.Exists(cpuinfo))
        {
            string? flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (flags is not null) return FromCpuInfoFlags(flags[(flags.IndexOf(':') + 1)..], cpuinfo);
        }
        return FromCpuid();
    }

    /// <summary>Parses the <c>flags</c> line of <c>/proc/cpuinfo</c> (space-separated).</summary>
    public static CpuFeatures FromCpuInfoFlags(string flags, string source)
    {
        var set = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return new CpuFeatures(set.Contains("avx512_bf16"), set.Contains("amx_bf16"), set.Contains("avx512_fp16"), set.Contains("amx_fp16"), source);
    }

    /// <summary>
    /// The features from CPUID leaf 7 (Intel SDM vol. 2A): sub-leaf 0 EDX bit 22 AMX-BF16, bit 23
    /// AVX512-FP16; sub-leaf 1 EAX bit 5 AVX512-BF16, bit 21 AMX-FP16. Null on a non-x86 processor.
    /// </summary>
    public static CpuFeatures? FromCpuid()
    {
        if (!X86Base.IsSupported) return null;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return new CpuFeatures(false, false, false, false, "CPUID");
        var (maxSubLeaf, _, _, edx0) = X86Base.CpuId(7, 0);
        int eax1 = maxSubLeaf >= 1 ? X86Base.CpuId(7, 1).Eax : 0;
        static bool Bit(int value, int bit) => (value >> bit & 1) != 0;
        return new CpuFeatures(Bit(eax1, 5), Bit(edx0, 22), Bit(edx0, 23), Bit(eax1, 21), "CPUID");
    }

    /// <summary>
    /// What a model's description says about its precision: nothing for float32, else the precision and,
    /// when <see cref="SlowPathNote(EegDinoPrecision, Device)"/> has one, that note. This is the library's
    /// one notice about a slow precision: applications log the description once per loaded model (the
    /// <c>eegdino</c> app prints it as its "model:" line); the library itself never writes to the console.
    /// </summary>
    public static string Describe(EegDinoPrecision precision, Device device)
    {
        if (precision == EegDinoPrecision.Float32) return "";
        string? note = SlowPathNote(precision, device);
        return note is null ? $"; computes in {precision}" : $"; computes in {precision}. {note}";
    }

    /// <summary>
    /// A sentence for the model's description when <paramref name="precision"/> has no fast path on
    /// <paramref name="device"/>'s processor, else null. GPUs are not judged here (bfloat16 and float16 are
    /// fast on NVIDIA GPUs from Ampere on, float16 from Volta on).
    /// </summary>
    public static string? SlowPathNote(EegDinoPrecision precision, Device device) =>
        device.type == DeviceType.CPU ? SlowPathNote(precision, Cpu) : null;

    /// <summary>The note for a CPU with <paramref name="cpu"/>'s features (null features: unknown, no note).</summary>
    public static string? SlowPathNote(EegDinoPrecision precision, CpuFeatures? cpu)
    {
        if (cpu is null) return null;
        return precision switch
        {
            EegDinoPrecision.BFloat16 when !cpu.FastBFloat16 =>
                "BFloat16 on a CPU without AVX512-BF16 or AMX-BF16: results are correct, but slower than Float32 on this processor.",
            EegDinoPrecision.Float16 when !cpu.FastFloat16 =>
                "Float16 on a CPU without AMX-FP16: results are correct, but slower than Float32 on this processor.",
            _ => null,
        };
    }
}
