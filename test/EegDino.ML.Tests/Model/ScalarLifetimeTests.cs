using System.Reflection;
using EegDino.ML.Model;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// No code of ours hands libtorch a TorchSharp scalar that a garbage collection can free mid-call
/// (the failure CI hit: "Expected false to be true ... toFloat at Scalar.h"); see <see cref="TorchScalars"/>.
/// </summary>
[TestClass]
public sealed class ScalarLifetimeTests
{
    private static readonly string Gate = typeof(TorchScalars).FullName!;

    [TestMethod]
    public void TheLibraryCreatesScalarsOnlyInTorchScalars()
    {
        using var scanner = new ScalarCreationScanner();
        var violations = scanner.Violations(typeof(EegDinoEncoder).Assembly.Location, Gate);
        Assert.IsEmpty(violations, "Use TorchScalars for these:\n" + string.Join("\n", violations));
    }

    [TestMethod]
    public void TheSamplesCreateScalarsOnlyInTorchScalars()
    {
        string samples = typeof(ScalarLifetimeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "SamplesAssembly").Value!;
        Assert.IsTrue(File.Exists(samples), $"The samples app is not built at {samples}; build the solution first.");
        using var scanner = new ScalarCreationScanner();
        var violations = scanner.Violations(samples, Gate);
        Assert.IsEmpty(violations, "Use TorchScalars for these:\n" + string.Join("\n", violations));
    }

    /// <summary>The scanner itself: it finds the known hazards and passes the known-safe calls.</summary>
    [TestMethod]
    public void TheScannerTellsHazardsFromSafeCalls()
    {
        using var scanner = new ScalarCreationScanner();
        using var torchSharp = Mono.Cecil.AssemblyDefinition.ReadAssembly(typeof(TorchSharp.torch).Assembly.Location);
        var types = torchSharp.MainModule.GetTypes().ToDictionary(t => t.FullName);
        Mono.Cecil.MethodDefinition Method(string type, string name, params string[] parameters) =>
            types[type].Methods.Single(m => m.Name == name && m.Parameters.Select(p => p.ParameterType.Name).SequenceEqual(parameters));

        const string tensor = "TorchSharp.torch/Tensor";
        Assert.IsNotNull(scanner.ScalarChain(Method(tensor, "op_Addition", "Tensor", "Tensor")), "a + b passes an implicit alpha");
        Assert.IsNotNull(scanner.ScalarChain(Method(tensor, "op_Multiply", "Tensor", "Double")), "a * 0.5");
        Assert.IsNotNull(scanner.ScalarChain(Method(tensor, "add_", "Scalar")), "add_(s) passes an implicit alpha");
        Assert.IsNotNull(scanner.ScalarChain(Method("TorchSharp.torch", "arange", "Scalar", "Nullable`1", "Device", "Boolean")), "arange(stop) passes 0 and 1");
        Assert.IsNotNull(scanner.ScalarChain(Method("TorchSharp.Modules.AdamW", "step", "Func`1")), "AdamW.step, through its lambda");

        Assert.IsNull(scanner.ScalarChain(Method(tensor, "op_Subtraction", "Tensor", "Tensor")));
        Assert.IsNull(scanner.ScalarChain(Method(tensor, "mul", "Tensor")));
        Assert.IsNull(scanner.ScalarChain(Method(tensor, "add", "Tensor", "Scalar")));
        Assert.IsNull(scanner.ScalarChain(Method("TorchSharp.Modules.Linear", "forward", "Tensor")));
    }
}
