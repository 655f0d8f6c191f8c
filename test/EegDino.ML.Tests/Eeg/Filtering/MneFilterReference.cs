using System.Text.Json;
using EegDino.ML.Eeg;
using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>One step of a reference case: what MNE did (see scripts/make_filter_reference.py).</summary>
internal sealed record MneStep(string Op, double? LFreq, double? HFreq, double? LTrans, double? HTrans, double[] Freqs, double Low, double High, string? Channels)
{
    /// <summary>The same step as library options.</summary>
    public EegFilterOptions ToOptions() => Op switch
    {
        "filter" => new EegFilterOptions { LowFrequencyHz = LFreq, HighFrequencyHz = HFreq, LowTransitionBandwidthHz = LTrans, HighTransitionBandwidthHz = HTrans },
        "notch" => new EegFilterOptions { NotchFrequenciesHz = Freqs },
        "bandstop" => new EegFilterOptions { BandStop = new EegBandStop(Low, High) },
        "reference" => new EegFilterOptions { Reference = Channels == "montage" ? EegReference.MontageAverage : EegReference.Average },
        _ => throw new InvalidDataException($"Unknown step '{Op}'."),
    };
}

/// <summary>MNE's measured response of one kernel.</summary>
internal sealed record MneResponse(double[][] Passband, double[][] Stopband, double PassbandRippleDb, double? StopbandAttenuationDb, double[] Minus6DbHz, int GridPoints);

/// <summary>One kernel MNE designed for a step.</summary>
internal sealed record MneKernel(double[] Coefficients, MneResponse Response);

/// <summary>One case: the file, channels, samples and steps, MNE's output and kernels.</summary>
internal sealed record MneCase(
    string Name, string File, string[] Channels, int? InputSamples, int NTimes, int StoredSamples, double Sfreq,
    MneStep[] Steps, MneKernel[] Kernels, float[][] Output)
{
    /// <summary>All steps merged into one options object (each kind appears at most once in a case).</summary>
    public EegFilterOptions Options()
    {
        var o = EegFilterOptions.None;
        foreach (MneStep s in Steps)
        {
            EegFilterOptions x = s.ToOptions();
            o = new EegFilterOptions
            {
                Reference = x.Reference != EegReference.AsRecorded ? x.Reference : o.Reference,
                LowFrequencyHz = x.LowFrequencyHz ?? o.LowFrequencyHz,
                HighFrequencyHz = x.HighFrequencyHz ?? o.HighFrequencyHz,
                LowTransitionBandwidthHz = x.LowTransitionBandwidthHz ?? o.LowTransitionBandwidthHz,
                HighTransitionBandwidthHz = x.HighTransitionBandwidthHz ?? o.HighTransitionBandwidthHz,
                NotchFrequenciesHz = x.NotchFrequenciesHz.Count > 0 ? x.NotchFrequenciesHz : o.NotchFrequenciesHz,
                BandStop = x.BandStop ?? o.BandStop,
            };
        }
        return o;
    }

    /// <summary>Total taps of the filters: the "one filter length" kept away from each edge.</summary>
    public int TotalFilterLength => Kernels.Sum(k => k.Coefficients.Length);

    public override string ToString() => $"{File} {Name}";
}

/// <summary>
/// Reads test/EegDino.ML.Tests/TestData/eeg/reference/filters_{rate}.safetensors, written by
/// scripts/make_filter_reference.py with MNE 1.3. A missing file fails the test.
/// </summary>
internal static class MneFilterReference
{
    private static readonly Dictionary<int, List<MneCase>> Loaded = [];

    public static IReadOnlyList<MneCase> Cases(int rate)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(rate, out var cached)) return cached;
            string path = EdfTestWriter.TestData(Path.Combine("reference", $"filters_{rate}.safetensors"));
            var tensors = EegDino.ML.Tests.Weights.CheckpointTestFiles.ReadSafetensorsAsDouble(path);
            var (_, metadata) = SafetensorsReader.Read(path);
            using var doc = JsonDocument.Parse(metadata["cases"]);
            var cases = new List<MneCase>();
            foreach (JsonElement c in doc.RootElement.EnumerateArray())
            {
                string name = c.GetProperty("name").GetString()!;
                var steps = c.GetProperty("steps").EnumerateArray().Select(s => new MneStep(
                    s.GetProperty("op").GetString()!, Num(s, "l_freq"), Num(s, "h_freq"), Num(s, "l_trans_bandwidth"), Num(s, "h_trans_bandwidth"),
                    s.TryGetProperty("freqs", out var f) ? f.EnumerateArray().Select(v => v.GetDouble()).ToArray() : [],
                    Num(s, "low") ?? 0, Num(s, "high") ?? 0,
                    s.TryGetProperty("channels", out var ch) ? ch.GetString() : null)).ToArray();
                var kernels = c.GetProperty("kernels").EnumerateArray().Select(k =>
                {
                    JsonElement r = k.GetProperty("response");
                    var response = new MneResponse(
                        Bands(r.GetProperty("passband_hz")), Bands(r.GetProperty("stopband_hz")), r.GetProperty("passband_ripple_db").GetDouble(),
                        r.GetProperty("stopband_attenuation_db").ValueKind == JsonValueKind.Null ? null : r.GetProperty("stopband_attenuation_db").GetDouble(),
                        r.GetProperty("minus6db_hz").EnumerateArray().Select(v => v.GetDouble()).ToArray(), r.GetProperty("grid_points").GetInt32());
                    return new MneKernel(tensors[k.GetProperty("tensor").GetString()!].Data, response);
                }).ToArray();
                var (shape, data) = tensors[name + "/output"];
                int channels = (int)shape[0], samples = (int)shape[1];
                var output = Enumerable.Range(0, channels).Select(ch => data.Skip(ch * samples).Take(samples).Select(v => (float)v).ToArray()).ToArray();
                cases.Add(new MneCase(
                    name, c.GetProperty("file").GetString()!, c.GetProperty("channels").EnumerateArray().Select(v => v.GetString()!).ToArray(),
                    c.TryGetProperty("input_samples", out var n) ? n.GetInt32() : null, c.GetProperty("n_times").GetInt32(), c.GetProperty("stored_samples").GetInt32(),
                    c.GetProperty("sfreq").GetDouble(), steps, kernels, output));
            }
            Loaded[rate] = cases;
            return cases;
        }
    }

    public static MneCase Case(int rate, string name) =>
        Cases(rate).FirstOrDefault(c => c.Name == name) ?? throw new AssertFailedException($"No case '{name}' in filters_{rate}.safetensors.");

    /// <summary>Signal indexes of the case's channels in its file (labels compared after trimming, like MNE's names).</summary>
    public static int[] SignalIndexes(EdfReader reader, MneCase c) => c.Channels.Select(name =>
    {
        EdfSignal? s = reader.Signals.FirstOrDefault(x => x.Label.Trim() == name || x.Label.Trim().EndsWith(" " + name, StringComparison.Ordinal));
        return s?.Index ?? throw new AssertFailedException($"{c.File} has no signal '{name}'.");
    }).ToArray();

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static double[][] Bands(JsonElement e) =>
        e.EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
}
