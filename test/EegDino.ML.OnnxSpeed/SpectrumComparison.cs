using EegDino.ML.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EegDino.ML.OnnxSpeed;

/// <summary>
/// The two ONNX forms of <c>|rfft(x, norm="forward")|</c> (<see cref="OnnxSpectrumMethod"/>) on their
/// own, as graphs of just that step on <c>[8, 19, 10, 200]</c> patches (a Small batch of 8 windows of
/// 10 s): accuracy against a float64 naive DFT computed here, and time in ONNX Runtime (CPU provider,
/// 2 threads), interleaved.
/// </summary>
internal static class SpectrumComparison
{
    private const int PatchSize = 200;
    private static readonly long[] Shape = [8, 19, 10, PatchSize];

    public static void Run(TextWriter log, int rounds)
    {
        float[] patches = OnnxSpeedComparison.Signal(8).Select(v => v / 100f).ToArray();
        double[] reference = NaiveMagnitudes(patches);
        var sessions = Enum.GetValues<OnnxSpectrumMethod>().ToDictionary(m => m, m => Session(m));
        try
        {
            var timing = new Timing();
            var results = new Dictionary<OnnxSpectrumMethod, float[]>();
            foreach (var (method, session) in sessions) results[method] = Compute(session, patches); // warm-up
            for (int r = 0; r < rounds; r++)
            {
                foreach (var (method, session) in r % 2 == 0 ? sessions.ToArray() : sessions.Reverse().ToArray())
                {
                    Thread.Sleep(100); // let the other session's spinning threads sleep first
                    timing.Measure(method.ToString(), () => results[method] = Compute(session, patches));
                }
            }
            log.WriteLine($"| spectrum of [{string.Join(", ", Shape)}] | NRMSE vs float64 DFT | max abs error | ms (median / best) |");
            log.WriteLine("|---|---|---|---|");
            foreach (var method in sessions.Keys)
            {
                float[] r = results[method];
                double diff = 0, norm = 0, max = 0;
                for (int i = 0; i < r.Length; i++)
                {
                    double d = r[i] - reference[i];
                    diff += d * d;
                    norm += reference[i] * reference[i];
                    max = Math.Max(max, Math.Abs(d));
                }
                log.WriteLine($"| {method} | {Math.Sqrt(diff / norm):E2} | {max:E2} | {timing.Median(method.ToString()):F2} / {timing.Best(method.ToString()):F2} |");
            }
            log.WriteLine($"({rounds} timed rounds, interleaved)");
        }
        finally
        {
            foreach (var s in sessions.Values) s.Dispose();
        }
    }

    private static InferenceSession Session(OnnxSpectrumMethod method)
    {
        var g = new OnnxGraphBuilder(17, OnnxProto.DataType.Float);
        string input = g.Reserve("patches");
        string magnitude = OnnxSpectrum.Magnitude(g, input, PatchSize, method);
        g.Node("Identity", [magnitude], output: "magnitude");
        var graph = new OnnxGraph("spectrum", g.Nodes, g.Initializers,
            [new OnnxValueInfo(input, OnnxProto.DataType.Float, Shape.Select(d => (OnnxDim)d).ToArray())],
            [new OnnxValueInfo("magnitude", OnnxProto.DataType.Float, [Shape[0], Shape[1], Shape[2], PatchSize / 2 + 1])], null);
        using var stream = new MemoryStream();
        new OnnxModel(8, 17, "EegDino.ML.OnnxSpeed", "0", null, graph, []).Save(stream);
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(stream.ToArray(), options);
    }

    private static float[] Compute(InferenceSession session, float[] patches)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(patches, Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { ["patches"] = input }, session.OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>|sum_t x[t] e^(-2 pi i k t / n)| / n in float64, term by term.</summary>
    private static double[] NaiveMagnitudes(float[] patches)
    {
        int bins = PatchSize / 2 + 1, count = patches.Length / PatchSize;
        var result = new double[count * bins];
        for (int p = 0; p < count; p++)
        {
            for (int k = 0; k < bins; k++)
            {
                double re = 0, im = 0;
                for (int t = 0; t < PatchSize; t++)
                {
                    double angle = 2 * Math.PI * ((long)k * t % PatchSize) / PatchSize;
                    re += patches[p * PatchSize + t] * Math.Cos(angle);
                    im -= patches[p * PatchSize + t] * Math.Sin(angle);
                }
                result[p * bins + k] = Math.Sqrt(re * re + im * im) / PatchSize;
            }
        }
        return result;
    }
}
