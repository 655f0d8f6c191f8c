namespace EegDino.ML.Tests.Model;

/// <summary>Conventions of the encoder: padding, channel slots, scaling, batching, result layout.</summary>
[TestClass]
public sealed class EncoderBehaviourTests
{
    private static EegDinoEncoder _encoder = null!;

    [ClassInitialize]
    public static void Load(TestContext _) =>
        _encoder = TinyEncoder.Load();

    [ClassCleanup]
    public static void Unload() => _encoder.Dispose();

    [TestMethod]
    public void LengthThatIsNotWholePatchesIsRightPaddedWithZeros()
    {
        const int channels = 5;
        float[] signal = Fixtures.Synthetic(channels, 1100);
        float[] padded = new float[channels * 1200];
        for (int c = 0; c < channels; c++) Array.Copy(signal, c * 1100, padded, c * 1200, 1100);

        var a = _encoder.Encode(signal, channels);
        var b = _encoder.Encode(padded, channels);
        Assert.AreEqual(6, a.NumberOfPatches);
        CollectionAssert.AreEqual(b.Tokens, a.Tokens);
    }

    [TestMethod]
    public void ShortInputIsOnePatch()
    {
        var e = _encoder.Encode(Fixtures.Synthetic(2, 37), 2);
        Assert.AreEqual(1, e.NumberOfPatches);
        Assert.AreEqual(1 + 2, e.TokenCount);
    }

    [TestMethod]
    public void BatchEqualsOneByOne()
    {
        const int channels = 7, samples = 600;
        var rows = Enumerable.Range(0, 4).Select(i => Fixtures.Synthetic(channels, samples, seed: i)).ToArray();
        var batch = _encoder.EncodeBatch(rows.SelectMany(r => r).ToArray(), rows.Length, channels);
        for (int i = 0; i < rows.Length; i++)
        {
            var single = _encoder.Encode(rows[i], channels);
            double error = Fixtures.Nrmse(batch.GetTokens(i), single.Tokens.Select(v => (double)v).ToArray());
            Assert.IsTrue(error <= 1e-6, $"row {i}: NRMSE {error:E2}");
        }
    }

    [TestMethod]
    public void DefaultScaleIsMicrovoltsOverOneHundred()
    {
        float[] microvolts = Fixtures.Synthetic(3, 400);
        using var unscaled = TinyEncoder.Load(inputScale: 1f);
        var a = _encoder.Encode(microvolts, 3);
        var b = unscaled.Encode(microvolts.Select(v => v * 0.01f).ToArray(), 3);
        Assert.AreEqual(0.01f, _encoder.Options.InputScale);
        Assert.IsTrue(Fixtures.Nrmse(a.Tokens, b.Tokens.Select(v => (double)v).ToArray()) <= 1e-6);
    }

    [TestMethod]
    public void SummariesAreTheGlobalTokenAndTheMeanOfThePatchTokens()
    {
        const int channels = 3;
        var e = _encoder.Encode(Fixtures.Synthetic(channels, 500), channels);
        int d = e.EmbeddingDim, n = e.TokenCount;
        Assert.AreEqual(40, d);
        Assert.AreEqual(1 + channels * 3, n);
        CollectionAssert.AreEqual(e.Tokens.Take(d).ToArray(), e.GlobalToken);
        for (int k = 0; k < d; k++)
        {
            double mean = Enumerable.Range(1, n - 1).Average(t => (double)e.Tokens[t * d + k]);
            Assert.AreEqual(mean, e.PooledMean[k], 1e-5);
        }
    }

    [TestMethod]
    public void InputChannelIUsesChannelSlotI()
    {
        // The same one-patch signal on channels 0 and 1: the patch embeddings differ only by the
        // one-hot channel embedding, (W[:, 0] - W[:, 1]), carried through the depthwise time
        // convolution, whose only in-range tap for a single patch is the centre one: x (1 + w_centre).
        float[] x = Fixtures.Synthetic(1, 200, seed: 5);
        float[] embedding = _encoder.Runtime.Run(() =>
        {
            var taps = new Dictionary<string, TorchSharp.torch.Tensor>();
            _encoder.Runtime.Network.Encode(_encoder.Runtime.ToInputTensor([.. x, .. x], 1, 2), taps);
            return EegDino.ML.Model.EegDinoRuntime.ToArray(taps["patch_embedding"]); // [1, 2, 1, D]
        });
        var weights = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;
        float[] channelWeight = weights["patch_embedding.channel_embedding.weight"].Data; // [D, 19]
        float[] timeWeight = weights["patch_embedding.time_encoding.0.weight"].Data;      // [D, 1, 1, 5]
        const int d = 40;
        for (int k = 0; k < d; k++)
        {
            double expected = (channelWeight[k * 19 + 0] - channelWeight[k * 19 + 1]) * (1 + timeWeight[k * 5 + 2]);
            Assert.AreEqual(expected, embedding[k] - embedding[d + k], 1e-5, $"dimension {k}");
        }
    }
}
