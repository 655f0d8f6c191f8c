using EegDino.ML.Weights.Torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>The pickle policy is consistent with the machine and the builders it allows.</summary>
[TestClass]
public sealed class PicklePolicyTests
{
    [TestMethod]
    public void EveryAllowedBuilderIsImplemented()
    {
        foreach (string name in PicklePolicy.Builders)
        {
            // Malformed arguments: the builder itself must answer, not the "no builder" fallback.
            var e = Assert.Throws<Exception>(() => PickleBuilders.Build(name, [new PickleGlobal("x", "y"), 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L], m => new InvalidOperationException(m)));
            Assert.IsFalse(e.Message.StartsWith("no builder", StringComparison.Ordinal), $"{name}: {e.Message}");
        }
        Assert.Throws<InvalidOperationException>(() => PickleBuilders.Build("collections.Counter", [], m => new InvalidOperationException(m)));
    }

    [TestMethod]
    public void TheListsAreDisjointAndNothingAllowedIsDenied()
    {
        CollectionAssert.AreEquivalent(Array.Empty<string>(), PicklePolicy.Builders.Intersect(PicklePolicy.PlaceholderCallables).ToArray());
        foreach (string name in PicklePolicy.Builders.Concat(PicklePolicy.PlaceholderCallables))
        {
            int dot = name.LastIndexOf('.');
            Assert.AreNotEqual(PickleGlobalUse.Denied, PicklePolicy.Classify(name[..dot], name[(dot + 1)..]), name);
        }
    }

    [TestMethod]
    [DataRow("os", "system")]
    [DataRow("posix", "system")]
    [DataRow("subprocess", "Popen")]
    [DataRow("builtins", "eval")]
    [DataRow("builtins", "getattr")]
    [DataRow("__builtin__", "exec")]
    [DataRow("builtins.sub", "set")]
    [DataRow("importlib.util", "find_spec")]
    public void CodeRunningNamesAreDenied(string module, string name) =>
        Assert.AreEqual(PickleGlobalUse.Denied, PicklePolicy.Classify(module, name));

    [TestMethod]
    public void OtherNamesAreNamesOnly()
    {
        Assert.AreEqual(PickleGlobalUse.NameOnly, PicklePolicy.Classify("torch", "FloatStorage"));
        Assert.AreEqual(PickleGlobalUse.NameOnly, PicklePolicy.Classify("collections", "Counter"));
        Assert.AreEqual(PickleGlobalUse.Builder, PicklePolicy.Classify("torch._utils", "_rebuild_tensor_v2"));
        Assert.AreEqual(PickleGlobalUse.Placeholder, PicklePolicy.Classify("argparse", "Namespace"));
    }
}
