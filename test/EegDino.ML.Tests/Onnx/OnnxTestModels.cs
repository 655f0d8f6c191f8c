using Microsoft.ML.OnnxRuntime;

namespace EegDino.ML.Tests.Onnx;

/// <summary>Fixture models exported to ONNX, and ONNX Runtime (CPU provider) sessions over them.</summary>
internal static class OnnxTestModels
{
    /// <summary>The fixture's encoder (with its head) as the fixture computes it: input already scaled, so InputScale 1.</summary>
    public static EegDinoEncoder LoadFixture(string caseName, float inputScale = 1f) =>
        EegDinoEncoder.Load(Fixtures.Weights(caseName), new EegDinoEncoderOptions { InputScale = inputScale, Config = Fixtures.Config(caseName) });

    /// <summary>The ONNX bytes of the fixture's model.</summary>
    public static byte[] Export(string caseName, EegDinoOnnxExportOptions? options = null, float inputScale = 1f)
    {
        using var encoder = LoadFixture(caseName, inputScale);
        return Export(encoder, options);
    }

    public static byte[] Export(EegDinoEncoder encoder, EegDinoOnnxExportOptions? options = null)
    {
        using var stream = new MemoryStream();
        EegDinoOnnxExporter.Export(encoder, stream, options);
        return stream.ToArray();
    }

    /// <summary>A CPU session with 2 intra-op threads (the machine has 2 cores).</summary>
    public static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1 };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs <paramref name="session"/> on <c>input</c> <c>[B, C, T]</c>; every output as (shape, values).</summary>
    public static Dictionary<string, (long[] Shape, float[] Data)> Run(InferenceSession session, float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        var names = session.OutputNames.ToArray();
        using var results = session.Run(runOptions, new Dictionary<string, OrtValue> { [EegDinoOnnxExporter.InputName] = value }, names);
        var outputs = new Dictionary<string, (long[], float[])>();
        for (int i = 0; i < names.Length; i++)
        {
            var info = results[i].GetTensorTypeAndShape();
            outputs[names[i]] = (info.Shape, results[i].GetTensorDataAsSpan<float>().ToArray());
        }
        return outputs;
    }

    /// <summary>The fixture's float64 reference of <paramref name="output"/>; global_token is the mean of the first G rows of encoder_output.</summary>
    public static double[] Reference(string caseName, string output)
    {
        var io = Fixtures.Io(caseName);
        if (output != "global_token") return io[output + ".f64"].Data;
        var (shape, tokens) = io["encoder_output.f64"];
        int g = Fixtures.Config(caseName).NumberOfGlobalTokens;
        long batch = shape[0], count = shape[1], dim = shape[2];
        var result = new double[batch * dim];
        for (long b = 0; b < batch; b++)
        {
            for (long t = 0; t < g; t++)
            {
                for (long d = 0; d < dim; d++) result[b * dim + d] += tokens[(b * count + t) * dim + d] / g;
            }
        }
        return result;
    }
}
