namespace EegDino.ML.Tests.Model;

/// <summary><see cref="EegDinoAllocator"/> applies glibc's settings on this Linux machine, once, and encoding still works.</summary>
[TestClass]
public sealed class AllocatorTests
{
    [TestMethod]
    public void ConfigureForThroughputAppliesOnLinuxWithGlibcAndIsIdempotent()
    {
        Assert.IsTrue(OperatingSystem.IsLinux(), "this suite runs on Debian");
        Assert.IsTrue(EegDinoAllocator.ConfigureForThroughput(), "glibc's mallopt accepted both settings");
        Assert.IsTrue(EegDinoAllocator.ConfigureForThroughput(), "a second call returns the first call's result");

        float[] input = Fixtures.Input("tiny", out long[] shape);
        using var encoder = TinyEncoder.Load(inputScale: 1f);
        var (_, expected) = Fixtures.Io("tiny")["encoder_output.f64"];
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, Fixtures.Nrmse(encoder.EncodeBatch(input, (int)shape[0], (int)shape[1]).Tokens, expected));
    }
}
