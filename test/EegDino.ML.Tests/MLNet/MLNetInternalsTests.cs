using EegDino.ML.MLNet.Internals;

namespace EegDino.ML.Tests.MLNet;

/// <summary>Every internal ML.NET name the persistence relies on is still there (fails loudly after an ML.NET upgrade).</summary>
[TestClass]
public sealed class MLNetInternalsTests
{
    [TestMethod]
    public void EveryInternalNameUsedStillExists()
    {
        var problems = MLNetInternalsSelfTest.FindProblems();
        Assert.IsEmpty(problems, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void RuntimeAssemblyIsTheRealOneNotThePublicizedCopy()
    {
        var core = typeof(Microsoft.ML.ModelSaveContext).Assembly;
        Assert.IsFalse(core.Location.Contains("publicized", StringComparison.Ordinal), core.Location);
        Assert.IsFalse(core.GetType("Microsoft.ML.ModelLoadContext")!.IsPublic, "the runtime Microsoft.ML.Core should keep ModelLoadContext internal");
    }
}
