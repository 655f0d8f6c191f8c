using EegDino.ML.MLNet.Internals;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// The ML.NET internals the persistence relies on, checked both ways: the self-test (every name by
/// reflection and by a save/load round trip) passes, and its list of names is exactly what the
/// library's IL references, all of it from MLNet/Internals. So an ML.NET upgrade, or a new use of an
/// internal name elsewhere, fails here by name.
/// </summary>
[TestClass]
public sealed class MLNetInternalsTests
{
    private const string InternalsNamespace = "EegDino.ML.MLNet.Internals";

    [TestMethod]
    public void TheSelfTestFindsNoProblem()
    {
        var problems = MLNetInternalsSelfTest.FindProblems();
        Assert.IsEmpty(problems, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void TheSelfTestListsExactlyTheInternalNamesTheLibraryUses()
    {
        var used = ScanInternalUses().Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var listed = MLNetInternalsSelfTest.Names.ToHashSet(StringComparer.Ordinal);

        var unlisted = used.Except(listed).Order(StringComparer.Ordinal).ToList();
        var unused = listed.Except(used).Order(StringComparer.Ordinal).ToList();
        Assert.IsEmpty(unlisted, "Used but not in MLNetInternalsSelfTest.Names (add them, with an exercise):\n" + string.Join("\n", unlisted));
        Assert.IsEmpty(unused, "In MLNetInternalsSelfTest.Names but not used as internals (remove them, or ML.NET made them public):\n" + string.Join("\n", unused));
    }

    [TestMethod]
    public void OnlyMLNetInternalsUsesInternalNames()
    {
        var outside = ScanInternalUses().Where(u => u.Location is not null && !u.Location.StartsWith(InternalsNamespace + ".", StringComparison.Ordinal))
            .Select(u => $"{u.Location}: {u.Name}").Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.IsEmpty(outside, "ML.NET internals used outside MLNet/Internals:\n" + string.Join("\n", outside));
    }

    /// <summary>The scan itself sees the uses it must see (a guard against a scan that finds nothing).</summary>
    [TestMethod]
    public void TheScanSeesSignaturesBodiesAndAttributes()
    {
        var uses = ScanInternalUses();
        Assert.IsTrue(uses.Any(u => u.Name == "Microsoft.ML.ModelLoadContext" && u.Location == InternalsNamespace + ".ModelZipReader"), "a parameter type");
        Assert.IsTrue(uses.Any(u => u.Name == "Microsoft.ML.ModelHeader::ModelVerWritten"), "a field read in a method body");
        Assert.IsTrue(uses.Any(u => u.Name.StartsWith("Microsoft.ML.LoadableClassAttribute::.ctor", StringComparison.Ordinal) && u.Location is null), "an assembly attribute");
    }

    [TestMethod]
    public void RuntimeAssemblyIsTheRealOneNotThePublicizedCopy()
    {
        var core = typeof(Microsoft.ML.ModelSaveContext).Assembly;
        Assert.IsFalse(core.Location.Contains("publicized", StringComparison.Ordinal), core.Location);
        Assert.IsFalse(core.GetType("Microsoft.ML.ModelLoadContext")!.IsPublic, "the runtime Microsoft.ML.Core should keep ModelLoadContext internal");
    }

    private sealed record InternalUse(string Name, string? Location);

    /// <summary>
    /// Every reference of the library to a type or member of an ML.NET assembly that is not public
    /// there (protected members, which subclasses may use, count as public) (resolved against the real assemblies next to the tests), named as in
    /// <see cref="MLNetInternalsSelfTest.Names"/>, with the declaring type of the code that uses it
    /// (null for an assembly attribute).
    /// </summary>
    private static List<InternalUse> ScanInternalUses()
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(AppContext.BaseDirectory);
        using var library = AssemblyDefinition.ReadAssembly(typeof(EegDinoEncoder).Assembly.Location, new ReaderParameters { AssemblyResolver = resolver });
        var uses = new List<InternalUse>();
        void Add(MemberReference? reference, string? location)
        {
            if (reference is null) return;
            foreach (string name in InternalNames(reference)) uses.Add(new(name, location));
        }

        foreach (var attribute in library.CustomAttributes)
        {
            Add(attribute.Constructor, null);
            foreach (var argument in attribute.ConstructorArguments) if (argument.Value is TypeReference t) Add(t, null);
        }
        foreach (var type in library.MainModule.GetTypes())
        {
            string location = type.DeclaringType is { } outer ? Outermost(outer).FullName : type.FullName;
            Add(type.BaseType, location);
            foreach (var i in type.Interfaces) Add(i.InterfaceType, location);
            foreach (var field in type.Fields) Add(field.FieldType, location);
            foreach (var method in type.Methods)
            {
                Add(method.ReturnType, location);
                foreach (var p in method.Parameters) Add(p.ParameterType, location);
                foreach (var a in method.CustomAttributes) Add(a.Constructor, location);
                if (!method.HasBody) continue;
                foreach (var v in method.Body.Variables) Add(v.VariableType, location);
                foreach (Instruction instruction in method.Body.Instructions) Add(instruction.Operand as MemberReference, location);
            }
        }
        return uses;
    }

    private static TypeDefinition Outermost(TypeDefinition type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    private static bool IsMLNet(TypeReference type) =>
        type.Scope.Name.StartsWith("Microsoft.ML", StringComparison.Ordinal);

    private static IEnumerable<string> InternalNames(MemberReference reference)
    {
        switch (reference)
        {
            case GenericInstanceType generic:
                foreach (string n in InternalNames(generic.ElementType)) yield return n;
                foreach (var argument in generic.GenericArguments) foreach (string n in InternalNames(argument)) yield return n;
                break;
            case TypeSpecification specification: // arrays, by-ref, pointers
                foreach (string n in InternalNames(specification.ElementType)) yield return n;
                break;
            case TypeReference type when IsMLNet(type):
                if (type.Resolve() is { } definition && !IsVisible(definition)) yield return type.FullName;
                break;
            case MethodReference method when IsMLNet(method.DeclaringType):
                foreach (string n in InternalNames(method.DeclaringType)) yield return n;
                if (method.Resolve() is { } m && (!(m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly) || !IsVisible(m.DeclaringType)))
                    yield return $"{method.DeclaringType.GetElementType().FullName}::{method.Name}({string.Join(",", method.Parameters.Select(p => p.ParameterType.Name))})";
                break;
            case FieldReference field when IsMLNet(field.DeclaringType):
                foreach (string n in InternalNames(field.DeclaringType)) yield return n;
                if (field.Resolve() is { } f && (!(f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) || !IsVisible(f.DeclaringType)))
                    yield return $"{field.DeclaringType.FullName}::{field.Name}";
                break;
        }
    }

    private static bool IsVisible(TypeDefinition type) =>
        type.IsNested ? type.IsNestedPublic && IsVisible(type.DeclaringType) : type.IsPublic;
}
