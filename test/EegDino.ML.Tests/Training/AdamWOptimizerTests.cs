using EegDino.ML.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Training;

/// <summary>Our AdamW (written to avoid TorchSharp's unprotected scalars) against TorchSharp's own <c>optim.AdamW</c>.</summary>
[TestClass]
public sealed class AdamWOptimizerTests
{
    [TestMethod]
    public void MatchesTorchSharpsAdamWOverSeveralSteps()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var start = new[] { randn(4, 3), randn(3), randn(5, 2) };
        var ours = start.Select(t => new Parameter(t.clone())).ToArray();
        var theirs = start.Select(t => new Parameter(t.clone())).ToArray();

        // Two groups, as the trainer uses them: decayed matrices and an undecayed vector, different rates.
        using var optimizer = new AdamWOptimizer(
            [new AdamWOptimizer.Group([ours[0], ours[2]], 0.01, 0.05), new AdamWOptimizer.Group([ours[1]], 0.003, 0)],
            beta1: 0.9, beta2: 0.999, epsilon: 1e-8);
        using var reference = optim.AdamW(
            [new AdamW.ParamGroup([theirs[0], theirs[2]], lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.05),
             new AdamW.ParamGroup([theirs[1]], lr: 0.003, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0)]);

        for (int step = 0; step < 6; step++)
        {
            var weights = start.Select(t => randn_like(t)).ToArray(); // the gradient of sum(w * p) is w
            if (step == 3) // and a learning-rate change mid-run, as the schedule does
            {
                optimizer.Groups[0].LearningRate = 0.004;
                reference.ParamGroups.First().LearningRate = 0.004;
            }
            optimizer.ZeroGrad();
            reference.zero_grad();
            Loss(ours, weights).backward();
            Loss(theirs, weights).backward();
            optimizer.Step();
            reference.step();
        }

        for (int i = 0; i < ours.Length; i++)
        {
            float[] a = ours[i].data<float>().ToArray(), b = theirs[i].data<float>().ToArray();
            CollectionAssert.AreEqual(b, a, $"parameter {i}: the same operations in the same order give the same floats");
            Assert.IsFalse(ours[i].allclose(start[i]), $"parameter {i} moved");
        }
    }

    [TestMethod]
    public void ParametersWithoutGradientsAreLeftAlone()
    {
        using var scope = NewDisposeScope();
        var used = new Parameter(ones(3));
        var unused = new Parameter(ones(3));
        using var optimizer = new AdamWOptimizer([new AdamWOptimizer.Group([used, unused], 0.1, 0.5)]);
        (used * ones(3)).sum().backward();
        optimizer.Step();
        CollectionAssert.AreEqual(new[] { 1f, 1f, 1f }, unused.data<float>().ToArray(), "no gradient: no decay and no update, as in PyTorch");
        Assert.IsTrue(used.data<float>().ToArray().All(v => v < 1f));
    }

    private static Tensor Loss(Parameter[] parameters, Tensor[] weights) =>
        parameters.Zip(weights, (p, w) => (p * w).sum()).Aggregate((a, b) => EegDino.ML.Model.TorchScalars.Add(a, b));
}
