namespace EegDino.ML.Tests;

/// <summary>The golden fixtures copied from shared/fixtures/eegdino (see TestData/fixtures/README.md).</summary>
internal static class Fixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "fixtures");

    public static readonly string[] Cases = ["tiny", "small", "medium_2layer"];

    /// <summary>A fixture file; a missing file fails the test (never skips it).</summary>
    public static string File(string name)
    {
        string path = Path.Combine(Folder, name);
        if (!System.IO.File.Exists(path)) Assert.Fail($"Test data {path} is missing; it is committed under test/EegDino.ML.Tests/TestData/fixtures.");
        return path;
    }

    public static string Weights(string caseName) => File($"{caseName}.weights.safetensors");

    /// <summary>The case's configuration, from its json in braindecode keyword names.</summary>
    public static EegDinoConfig Config(string caseName) => EegDinoConfig.FromJson(System.IO.File.ReadAllText(File($"{caseName}.json")));

    public static Dictionary<string, (long[] Shape, double[] Data)> Io(string caseName) =>
        EegDino.ML.Tests.Weights.CheckpointTestFiles.ReadSafetensorsAsDouble(File($"{caseName}.io.safetensors"));

    public static float[] Input(string caseName, out long[] shape)
    {
        var (s, data) = Io(caseName)["input"];
        shape = s;
        return data.Select(v => (float)v).ToArray();
    }

    /// <summary>Normalised RMS error: RMS of the difference over RMS of the reference.</summary>
    public static double Nrmse(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.AreEqual(expected.Length, actual.Length, "length");
        double diff = 0, reference = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            diff += d * d;
            reference += expected[i] * expected[i];
        }
        return Math.Sqrt(diff / reference);
    }

    public const double Tolerance = 1e-6;

    /// <summary>A TUEG-like synthetic recording in microvolts: alpha rhythm plus noise, deterministic.</summary>
    public static float[] Synthetic(int channels, int samples, int seed = 1)
    {
        var random = new Random(seed);
        var result = new float[channels * samples];
        for (int c = 0; c < channels; c++)
        {
            double phase = random.NextDouble() * 2 * Math.PI;
            for (int t = 0; t < samples; t++)
                result[c * samples + t] = (float)(30 * Math.Sin(2 * Math.PI * 10 * t / 200.0 + phase) + 10 * (random.NextDouble() - 0.5));
        }
        return result;
    }
}
