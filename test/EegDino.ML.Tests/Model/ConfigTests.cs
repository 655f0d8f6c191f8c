namespace EegDino.ML.Tests.Model;

[TestClass]
public sealed class ConfigTests
{
    [TestMethod]
    [DataRow(EegDinoSize.Small, 200, 12, 512)]
    [DataRow(EegDinoSize.Medium, 512, 16, 1024)]
    [DataRow(EegDinoSize.Large, 1024, 24, 2048)]
    public void PresetsMatchTheReleasedModels(EegDinoSize size, int dim, int layers, int ffn)
    {
        var c = EegDinoConfig.FromPreset(size);
        Assert.AreEqual(dim, c.EmbeddingDim);
        Assert.AreEqual(layers, c.NumberOfLayers);
        Assert.AreEqual(ffn, c.FeedForwardDim);
        Assert.AreEqual(8, c.NumberOfHeads, "8 heads for every released size (braindecode c8c45260)");
        Assert.AreEqual(19, c.NumberOfChannelEmbeddings);
        Assert.AreEqual(101, c.SpectralBins);
        Assert.AreEqual(size, c.MatchingPreset);
    }

    [TestMethod]
    public void JsonRoundTrips()
    {
        var tiny = Fixtures.Config("tiny");
        Assert.AreEqual(40, tiny.EmbeddingDim);
        Assert.AreEqual(4, tiny.NumberOfHeads);
        Assert.IsNull(tiny.MatchingPreset);
        Assert.AreEqual(tiny, EegDinoConfig.FromJson(tiny.ToJson()));
    }

    [TestMethod]
    public void HeadsThatDoNotDivideTheWidthAreRefused()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() =>
            EegDinoConfig.FromJson("""{"nhead": 7}"""));
        StringAssert.Contains(e.Message, "nhead is 7");
        StringAssert.Contains(e.Message, "200");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(13)]
    public void GlobalTokenLayerOutOfRangeIsRefused(int layer)
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() =>
            EegDinoConfig.FromJson($$"""{"n_layer": 12, "global_token_layer": {{layer}}}"""));
        StringAssert.Contains(e.Message, $"global_token_layer is {layer}");
    }

    [TestMethod]
    public void GroupsThatDoNotDivideTheChannelsAreRefused()
    {
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoConfig.FromJson(
            """{"channels_kernel_stride_padding_norm": [[25, 49, 25, 24, [4, 25]], [25, 3, 1, 1, [5, 25]], [25, 3, 1, 1, [5, 25]]]}"""));
        StringAssert.Contains(e.Message, "groups are 4");
    }

    [TestMethod]
    [DataRow("not json")]
    [DataRow("[1, 2]")]
    [DataRow("""{"n_layer": "twelve"}""")]
    [DataRow("""{"channels_kernel_stride_padding_norm": [[25, 49]]}""")]
    [DataRow("""{"n_layer": 0}""")]
    [DataRow("""{"n_global_tokens": 0}""")]
    public void MalformedConfigurationIsRefused(string json) =>
        Assert.ThrowsExactly<EegDinoModelFormatException>(() => EegDinoConfig.FromJson(json));
}
