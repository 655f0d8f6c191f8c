using EegDino.ML.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Training;

/// <summary>float16 loss scaling follows PyTorch's GradScaler: unscale, skip and halve on inf/NaN, grow after good steps.</summary>
[TestClass]
public sealed class DynamicLossScaleTests
{
    private static Parameter WithGradient(params float[] gradient)
    {
        var p = new Parameter(zeros(gradient.Length));
        p.grad = tensor(gradient);
        return p;
    }

    [TestMethod]
    public void FiniteGradientsAreDividedByTheScale()
    {
        var scale = new DynamicLossScale();
        using var p = WithGradient(65536, -131072);
        Assert.IsTrue(scale.UnscaleAndCheck([p]));
        CollectionAssert.AreEqual(new[] { 1f, -2f }, p.grad!.data<float>().ToArray());
        Assert.AreEqual(DynamicLossScale.InitialScale, scale.Scale);
        Assert.AreEqual(0, scale.SkippedSteps);
    }

    [TestMethod]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NaN)]
    public void ANonFiniteGradientSkipsTheStepAndHalvesTheScale(float bad)
    {
        var scale = new DynamicLossScale();
        using var good = WithGradient(1, 2);
        using var broken = WithGradient(1, bad);
        Assert.IsFalse(scale.UnscaleAndCheck([good, broken]));
        Assert.AreEqual(DynamicLossScale.InitialScale / 2, scale.Scale);
        Assert.AreEqual(1, scale.SkippedSteps);
    }

    [TestMethod]
    public void TheScaleDoublesAfterTheGrowthIntervalOfGoodSteps()
    {
        var scale = new DynamicLossScale(growthInterval: 3);
        using var p = WithGradient(1);
        for (int i = 0; i < 2; i++) Assert.IsTrue(scale.UnscaleAndCheck([p]));
        Assert.AreEqual(DynamicLossScale.InitialScale, scale.Scale, "not yet");
        Assert.IsTrue(scale.UnscaleAndCheck([p]));
        Assert.AreEqual(DynamicLossScale.InitialScale * 2, scale.Scale, "after 3 good steps");
    }

    [TestMethod]
    public void GradientsThatOverflowWhateverTheScaleStopTrainingWithTheCause()
    {
        var scale = new DynamicLossScale();
        using var p = WithGradient(float.PositiveInfinity);
        var e = Assert.ThrowsExactly<EegDinoException>(() =>
        {
            for (int i = 0; i < 100; i++) scale.UnscaleAndCheck([p]);
        });
        StringAssert.Contains(e.Message, "overflow float16");
        StringAssert.Contains(e.Message, "BFloat16");
        Assert.AreEqual(41, scale.SkippedSteps, "2^16 halved 41 times passes below 2^-24");
    }
}
