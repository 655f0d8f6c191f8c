namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// One exported graph serves any batch size, channel count and length: rows do not depend on their
/// batch, a length that is not a multiple of 200 is padded inside the graph as the encoder pads it,
/// and fewer channels use the first channel slots.
/// </summary>
[TestClass]
public sealed class OnnxDynamicShapeTests
{
    [TestMethod]
    public void BatchOfThreeGivesTheRowsOfThreeBatchesOfOne()
    {
        using var session = OnnxTestModels.Session(OnnxTestModels.Export("tiny"));
        float[] input = Fixtures.Input("tiny", out long[] shape);
        var batched = OnnxTestModels.Run(session, input, shape);
        int rowSize = (int)(shape[1] * shape[2]);
        for (int b = 0; b < shape[0]; b++)
        {
            var single = OnnxTestModels.Run(session, input.AsSpan(b * rowSize, rowSize).ToArray(), [1, shape[1], shape[2]]);
            foreach (var (name, (oneShape, one)) in single)
            {
                Assert.AreEqual(1L, oneShape[0], $"{name}: batch dimension");
                var (_, all) = batched[name];
                int width = one.Length;
                double error = Fixtures.Nrmse(one, all.AsSpan(b * width, width).ToArray().Select(v => (double)v).ToArray());
                Assert.IsTrue(error <= 1e-6, $"{name} row {b}: NRMSE {error:E3} between batch 1 and batch 3");
            }
        }
    }

    [TestMethod]
    public void LengthNotAMultipleOfThePatchIsZeroPaddedInsideTheGraph()
    {
        const int channels = 19, samples = 1130; // 5.65 s: 6 patches, the last one 130 samples + 70 zeros
        float[] signal = Fixtures.Synthetic(channels, samples, seed: 4);
        using var encoder = OnnxTestModels.LoadFixture("small", inputScale: 0.01f);
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(encoder));
        var onnx = OnnxTestModels.Run(session, signal, [1, channels, samples]);

        // Against the TorchSharp encoder (itself checked against PyTorch), which pads the same way.
        var torch = encoder.Encode(signal, channels);
        CollectionAssert.AreEqual(new long[] { 1, 1 + channels * 6, encoder.EmbeddingDim }, onnx["encoder_output"].Shape);
        AssertClose(torch.Tokens, onnx["encoder_output"].Data, "encoder_output");
        AssertClose(torch.PooledMean, onnx["pooled_mean"].Data, "pooled_mean");
        AssertClose(torch.GlobalToken, onnx["global_token"].Data, "global_token");

        // And against the same signal padded by hand: padding is zeros, nothing else.
        float[] padded = new float[channels * 1200];
        for (int c = 0; c < channels; c++) signal.AsSpan(c * samples, samples).CopyTo(padded.AsSpan(c * 1200));
        var byHand = OnnxTestModels.Run(session, padded, [1, channels, 1200]);
        AssertClose(byHand["encoder_output"].Data, onnx["encoder_output"].Data, "hand-padded encoder_output");
    }

    [TestMethod]
    public void FewerChannelsUseTheFirstSlotsAsTheEncoderDoes()
    {
        using var encoder = OnnxTestModels.LoadFixture("tiny", inputScale: 0.01f);
        using var session = OnnxTestModels.Session(OnnxTestModels.Export(encoder));
        foreach (int channels in new[] { 1, 5, 19 })
        {
            float[] signal = Fixtures.Synthetic(channels, 600, seed: channels);
            var onnx = OnnxTestModels.Run(session, signal, [1, channels, 600]);
            var torch = encoder.Encode(signal, channels);
            AssertClose(torch.Tokens, onnx["encoder_output"].Data, $"{channels} channels encoder_output");
        }
    }

    /// <summary>Two float32 computations of the same thing: each is within 1e-6 of the exact value, so they are within 2e-6 of each other.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        double error = Fixtures.Nrmse(actual, expected.Select(v => (double)v).ToArray());
        Assert.IsTrue(error <= 2e-6, $"{what}: NRMSE {error:E3} between the two paths");
    }
}
