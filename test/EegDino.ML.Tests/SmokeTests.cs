using TorchSharp;
namespace EegDino.ML.Tests;
[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void TorchLoads() => Assert.AreEqual(2, torch.ones(2).shape[0]);
}
