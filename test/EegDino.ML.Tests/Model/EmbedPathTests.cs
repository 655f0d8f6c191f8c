using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>The pooled fast path: <c>Embed</c> from managed memory and from a tensor equals the full encoding's vectors, with the same checks.</summary>
[TestClass]
public sealed class EmbedPathTests
{
    private static EegDinoEncoder Tiny() => EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny") });

    [TestMethod]
    public void EmbedGivesTheEncodingsVectors()
    {
        using var encoder = Tiny();
        float[] signals = Fixtures.Synthetic(3 * 5, 450);
        var full = encoder.EncodeBatch(signals, 3, 5);
        CollectionAssert.AreEqual(full.PooledMean, encoder.Embed(signals, 3, 5));
        CollectionAssert.AreEqual(full.GlobalToken, encoder.Embed(signals, 3, 5, EegDinoEmbeddingKind.GlobalToken));
        CollectionAssert.AreEqual(full.Tokens, encoder.Embed(signals, 3, 5, EegDinoEmbeddingKind.Tokens));
        using var tensor = TorchSharp.torch.tensor(signals, [3, 5, 450]);
        CollectionAssert.AreEqual(full.PooledMean, encoder.Embed(tensor));
        using var doubles = tensor.to(ScalarType.Float64);
        CollectionAssert.AreEqual(full.PooledMean, encoder.Embed(doubles), "any float dtype");
    }

    [TestMethod]
    public void ATensorWithNaNOrOverflowIsNamedAsFromManagedMemory()
    {
        using var encoder = Tiny();
        float[] signals = Fixtures.Synthetic(2 * 4, 400);
        signals[1 * 4 * 400 + 2 * 400 + 7] = float.NaN;
        using var tensor = TorchSharp.torch.tensor(signals, [2, 4, 400]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => encoder.Embed(tensor));
        StringAssert.Contains(e.Message, "batch row 1, channel 2, sample 7");
        signals[1 * 4 * 400 + 2 * 400 + 7] = 0;
        signals[3 * 400 + 9] = float.NegativeInfinity; // one reduction finds both: max |x| is NaN or infinite
        using var infinite = TorchSharp.torch.tensor(signals, [2, 4, 400]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => encoder.Embed(infinite)).Message, "batch row 0, channel 3, sample 9");
        using var huge = TorchSharp.torch.full([1, 2, 200], 3e38f);
        using var overflow = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), InputScale = 10 });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => overflow.Embed(huge)).Message, "overflows float32");
        using var channels = TorchSharp.torch.zeros([1, 20, 200]);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => encoder.Embed(channels));
    }
}
