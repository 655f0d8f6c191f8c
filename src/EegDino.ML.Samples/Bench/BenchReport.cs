using System.Text.Json;
using System.Text.Json.Serialization;

namespace EegDino.ML.Samples.Bench;

/// <summary>One timed (or skipped) bench case, as written to the JSON report.</summary>
internal sealed class BenchCase
{
    /// <summary>Small, Medium or Large.</summary>
    [JsonPropertyName("size")] public string Size { get; init; } = "";

    [JsonPropertyName("batch")] public int Batch { get; init; }

    [JsonPropertyName("device")] public string Device { get; init; } = "";

    /// <summary>fp32, bf16 or fp16.</summary>
    [JsonPropertyName("precision")] public string Precision { get; init; } = "";

    /// <summary>Median ms of the host path users call: float[] in, the pooled mean out (<c>EegDinoEncoder.Embed</c>).</summary>
    [JsonPropertyName("median_ms")] public double? MedianMs { get; init; }

    [JsonPropertyName("best_ms")] public double? BestMs { get; init; }

    [JsonPropertyName("samples_per_second")] public double? SamplesPerSecond { get; init; }

    /// <summary>GFLOP/s of the median time.</summary>
    [JsonPropertyName("gflops")] public double? Gflops { get; init; }

    /// <summary>Median ms from a tensor already on the device, pooled mean out (the forward pass without the input's trip from managed memory).</summary>
    [JsonPropertyName("device_median_ms")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DeviceMedianMs { get; init; }

    /// <summary>Median ms of <c>EncodeBatch</c>: every token, the global token and the pooled mean copied back.</summary>
    [JsonPropertyName("tokens_median_ms")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TokensMedianMs { get; init; }

    /// <summary>Why the case was not timed (the library refused its precision on this machine); absent for timed cases.</summary>
    [JsonPropertyName("skipped")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Skipped { get; init; }
}

/// <summary>The bench's JSON report: <c>{"machine": {...}, "peaks": {"fp32": GFLOP/s, ...}, "cases": [...]}</c>.</summary>
internal sealed class BenchReport
{
    [JsonPropertyName("machine")] public required MachineInfo Machine { get; init; }

    /// <summary>Matmul peak in GFLOP/s per compute type (fp32, and tf32 on CUDA, bf16, fp16 as measured).</summary>
    [JsonPropertyName("peaks")] public required IReadOnlyDictionary<string, double> Peaks { get; init; }

    [JsonPropertyName("cases")] public required IReadOnlyList<BenchCase> Cases { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json) ?? throw new InvalidDataException("The bench report is empty.");
}
