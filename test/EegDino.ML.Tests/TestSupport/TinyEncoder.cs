namespace EegDino.ML.Tests;

/// <summary>The tiny fixture model (16 channels, D = 40, a custom configuration the file does not carry), loaded in one place.</summary>
internal static class TinyEncoder
{
    /// <summary>The options that load the tiny fixture: its configuration, and <paramref name="inputScale"/> (1: the fixture input is already scaled).</summary>
    public static EegDinoEncoderOptions Options(float inputScale = 0.01f, string device = "cpu") =>
        new() { Config = Fixtures.Config("tiny"), InputScale = inputScale, Device = device };

    /// <summary>The tiny fixture as an encoder.</summary>
    public static EegDinoEncoder Load(float inputScale = 0.01f, string device = "cpu") =>
        EegDinoEncoder.Load(Fixtures.Weights("tiny"), Options(inputScale, device));

    /// <summary>The tiny fixture as a classifier (it has a head).</summary>
    public static EegDinoClassifier LoadClassifier(float inputScale = 0.01f) =>
        EegDinoClassifier.Load(Fixtures.Weights("tiny"), Options(inputScale));
}
