using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace EegDino.ML.Tests;

/// <summary>
/// Runs the model-load probe (EegDino.ML.ModelLoadProbe, built with the test project) in a child
/// process that never touched EegDino.ML: it loads a model zip with ML.NET alone and writes one
/// column of the transformed rows.
/// </summary>
internal static class ModelLoadProbe
{
    /// <summary>Writes <paramref name="signals"/> to <paramref name="dir"/>, runs the probe on <paramref name="zip"/> and returns <paramref name="column"/> of each row.</summary>
    public static float[][] Run(TestContext testContext, string zip, IReadOnlyList<float[]> signals, string column, string dir)
    {
        string rowsPath = Path.Combine(dir, "rows.bin");
        using (var writer = new BinaryWriter(File.Create(rowsPath)))
        {
            writer.Write(signals.Count);
            writer.Write(signals[0].Length);
            foreach (var signal in signals) foreach (float v in signal) writer.Write(v);
        }
        string output = Path.Combine(dir, "output.txt");
        string probe = typeof(ModelLoadProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ModelLoadProbe").Value!;
        if (!File.Exists(probe)) Assert.Fail($"The model-load probe {probe} is missing; it is built with the test project.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { probe, zip, rowsPath, column, output }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        testContext.WriteLine(stdout);
        Assert.AreEqual(0, process.ExitCode, $"probe failed: {stdout}\n{stderr}");
        StringAssert.Contains(stdout, "EegDino.ML loaded by ML.NET: True");
        return File.ReadAllLines(output)
            .Select(line => line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
    }
}
