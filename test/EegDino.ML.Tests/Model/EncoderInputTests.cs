using TorchSharp;

namespace EegDino.ML.Tests.Model;

/// <summary>Bad input to the encoder gives a clear managed exception, never a native crash.</summary>
[TestClass]
public sealed class EncoderInputTests
{
    private static EegDinoEncoder _encoder = null!;

    [ClassInitialize]
    public static void Load(TestContext _) =>
        _encoder = TinyEncoder.Load();

    [ClassCleanup]
    public static void Unload() => _encoder.Dispose();

    [TestMethod]
    public void MoreThanNineteenChannelsIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _encoder.Encode(new float[20 * 200], 20));
        StringAssert.Contains(e.Message, "numberOfChannels is 20");
        StringAssert.Contains(e.Message, "19 channel slots");
    }

    [TestMethod]
    public void ZeroChannelsIsRefused() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _encoder.Encode(new float[200], 0));

    [TestMethod]
    public void EmptyInputIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => _encoder.Encode([], 19));
        StringAssert.Contains(e.Message, "empty");
    }

    [TestMethod]
    public void ZeroBatchIsRefused() =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => _encoder.EncodeBatch(new float[200], 0, 1));

    [TestMethod]
    public void LengthThatIsNotChannelsTimesSamplesIsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => _encoder.Encode(new float[19 * 200 + 1], 19));
        StringAssert.Contains(e.Message, "3801 values");
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NegativeInfinity)]
    public void NonFiniteSampleIsRefusedWithItsPosition(float bad)
    {
        float[] batch = Fixtures.Synthetic(4, 300).Concat(Fixtures.Synthetic(4, 300, seed: 2)).ToArray();
        batch[300 * 4 + 2 * 300 + 17] = bad; // row 1, channel 2, sample 17
        var e = Assert.ThrowsExactly<ArgumentException>(() => _encoder.EncodeBatch(batch, 2, 4));
        StringAssert.Contains(e.Message, "batch row 1, channel 2, sample 17");
    }

    [TestMethod]
    public void TensorOfWrongRankIsRefused()
    {
        using var vector = torch.zeros(400);
        var e = Assert.ThrowsExactly<ArgumentException>(() => _encoder.Encode(vector));
        StringAssert.Contains(e.Message, "rank 1");
        using var rank4 = torch.zeros(1, 1, 2, 400);
        Assert.ThrowsExactly<ArgumentException>(() => _encoder.Encode(rank4));
    }

    [TestMethod]
    public void TensorInputEqualsArrayInput()
    {
        float[] signal = Fixtures.Synthetic(3, 400);
        using var t = torch.tensor(signal, [3, 400]);
        CollectionAssert.AreEqual(_encoder.Encode(signal, 3).Tokens, _encoder.Encode(t).Tokens);
    }

    [TestMethod]
    public void DisposedEncoderThrowsObjectDisposed()
    {
        var encoder = TinyEncoder.Load();
        encoder.Dispose();
        encoder.Dispose(); // twice is fine
        Assert.ThrowsExactly<ObjectDisposedException>(() => encoder.Encode(new float[200], 1));
    }

    [TestMethod]
    public void BadOptionsAreRefused()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            TinyEncoder.Load(inputScale: float.NaN));
        Assert.ThrowsExactly<ArgumentException>(() =>
            TinyEncoder.Load(device: "tpu"));
    }

    [TestMethod]
    public void CudaWithoutTheBackendIsAClearError()
    {
        if (torch.cuda.is_available()) Assert.Inconclusive("CUDA is available on this machine; this test checks the error on machines without it (like CI).");
        var e = Assert.ThrowsExactly<EegDinoException>(() =>
            TinyEncoder.Load(device: "cuda"));
        StringAssert.Contains(e.Message, "CUDA is not available");
    }
}
