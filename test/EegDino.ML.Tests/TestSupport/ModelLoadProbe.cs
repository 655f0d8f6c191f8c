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
        var (exitCode, stdout, stderr) = Start(testContext, zip, signals, column, dir);
        Assert.AreEqual(0, exitCode, $"probe failed: {stdout}\n{stderr}");
        StringAssert.Contains(stdout, "EegDino.ML loaded by ML.NET: True");
        return File.ReadAllLines(Path.Combine(dir, "output.txt"))
            .Select(line => line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
    }

    /// <summary>Runs the probe on a zip that must not load; returns its line "TYPE: MESSAGE" for the exception under ML.NET's wrappers.</summary>
    public static string RunExpectingLoadFailure(TestContext testContext, string zip, IReadOnlyList<float[]> signals, string dir)
    {
        var (exitCode, stdout, stderr) = Start(testContext, zip, signals, "Score", dir);
        Assert.AreEqual(4, exitCode, $"the probe should have failed to load the model: {stdout}\n{stderr}");
        const string prefix = "load failed: ";
        string? line = stdout.Split('\n').Select(l => l.TrimEnd('\r')).SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.IsNotNull(line, stdout);
        return line[prefix.Length..];
    }

    private static (int ExitCode, string Stdout, string Stderr) Start(TestContext testContext, string zip, IReadOnlyList<float[]> signals, string column, string dir)
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
        return (process.ExitCode, stdout, stderr);
    }
}
