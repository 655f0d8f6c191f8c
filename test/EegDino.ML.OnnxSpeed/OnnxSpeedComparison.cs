using EegDino.ML.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EegDino.ML.OnnxSpeed;

/// <summary>
/// ONNX Runtime (CPU provider, 2 intra-op threads) on the exported graph against the TorchSharp path
/// (<see cref="EegDinoEncoder.EncodeBatch"/>) on the same 19 x 2000 windows (10 s at 200 Hz), both
/// producing encoder_output, global_token and pooled_mean. The variants alternate within each round,
/// so a noisy neighbour hits both, with a pause before each pass (<see cref="Quiet"/>); 3 untimed
/// warm-up passes each first. Also checks that the two
/// paths agree (NRMSE of pooled_mean between them).
/// </summary>
internal static class OnnxSpeedComparison
{
    private const int Channels = 19, Samples = 2000;

    public static void Run(TextWriter log, string modelPath, int[] batches, int rounds)
    {
        using var encoder = EegDinoEncoder.Load(modelPath);
        log.WriteLine($"model: {encoder.Config}; TorchSharp threads: {TorchSharp.torch.get_num_threads()}, ONNX Runtime intra-op threads: 2");
        byte[] onnx;
        using (var stream = new MemoryStream())
        {
            EegDinoOnnxExporter.Export(encoder, stream, new EegDinoOnnxExportOptions { Outputs = ["encoder_output", "global_token", "pooled_mean"] });
            onnx = stream.ToArray();
        }
        foreach (var precision in new[] { EegDinoPrecision.Float32, EegDinoPrecision.Float16 })
        {
            using var file = new MemoryStream();
            EegDinoOnnxExporter.Export(encoder, file, new EegDinoOnnxExportOptions { Precision = precision });
            log.WriteLine($"exported file, every output, {precision}: {file.Length / 1e6:F2} MB");
        }
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(onnx, sessionOptions);

        log.WriteLine("| batch | TorchSharp ms (median / best) | ONNX Runtime ms (median / best) | ONNX Runtime / TorchSharp (median, best) | pooled_mean NRMSE between them |");
        log.WriteLine("|---|---|---|---|---|");
        foreach (int batch in batches)
        {
            float[] signal = Signal(batch);
            long[] shape = [batch, Channels, Samples];
            float[] torchPooled = [];
            float[] onnxPooled = [];
            void Torch() => torchPooled = encoder.EncodeBatch(signal, batch, Channels).PooledMean;
            void Ort() => onnxPooled = RunOnnx(session, signal, shape);
            for (int i = 0; i < 3; i++) { Torch(); Ort(); }
            var timing = new Timing();
            for (int r = 0; r < rounds; r++)
            {
                // Alternate which goes first, so neither always runs on a cache warmed by the other,
                // and leave both thread pools idle before each pass (see Quiet).
                if (r % 2 == 0) { Quiet(); timing.Measure("torch", Torch); Quiet(); timing.Measure("ort", Ort); }
                else { Quiet(); timing.Measure("ort", Ort); Quiet(); timing.Measure("torch", Torch); }
            }
            log.WriteLine($"| {batch} | {timing.Median("torch"):F1} / {timing.Best("torch"):F1} | {timing.Median("ort"):F1} / {timing.Best("ort"):F1} | " +
                $"{timing.Median("ort") / timing.Median("torch"):F2}, {timing.Best("ort") / timing.Best("torch"):F2} | {Nrmse(onnxPooled, torchPooled):E1} |");
        }
        log.WriteLine($"({rounds} timed rounds per batch size, variants alternating; a ratio below 1 means ONNX Runtime is faster)");
    }

    /// <summary>
    /// Both runtimes' worker threads spin after a pass before they sleep (libtorch's OpenMP for up to
    /// 200 ms by default, ONNX Runtime's pool briefly): back to back, one runtime's spinning threads
    /// take the 2 cores from the other's next pass (measured: TorchSharp 2.2 s instead of ~25 ms at
    /// batch 1). A pause lets them sleep, so each pass runs on an idle machine.
    /// </summary>
    private static void Quiet() => Thread.Sleep(400);

    private static float[] RunOnnx(InferenceSession session, float[] signal, long[] shape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(signal, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { [EegDinoOnnxExporter.InputName] = input }, session.OutputNames);
        // Copy every output out, as EncodeBatch does, so both pay for materialising their results.
        float[] pooled = [];
        for (int i = 0; i < outputs.Count; i++)
        {
            float[] values = outputs[i].GetTensorDataAsSpan<float>().ToArray();
            if (session.OutputNames[i] == "pooled_mean") pooled = values;
        }
        return pooled;
    }

    /// <summary>A deterministic EEG-like batch in microvolts: a 10 Hz rhythm plus noise.</summary>
    internal static float[] Signal(int batch)
    {
        var random = new Random(7);
        var values = new float[batch * Channels * Samples];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(30 * Math.Sin(2 * Math.PI * 10 * (i % Samples) / 200.0 + i / Samples) + 10 * (random.NextDouble() - 0.5));
        return values;
    }

    internal static double Nrmse(float[] actual, float[] reference)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            diff += (actual[i] - (double)reference[i]) * (actual[i] - (double)reference[i]);
            norm += (double)reference[i] * reference[i];
        }
        return Math.Sqrt(diff / norm);
    }
}
