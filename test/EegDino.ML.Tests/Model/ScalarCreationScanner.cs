using Mono.Cecil;
using Mono.Cecil.Cil;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// Finds, in compiled IL, the places that create a TorchSharp <c>Scalar</c> that nothing keeps
/// alive while libtorch reads it (see <c>TorchScalars</c> in the library for the bug): a call to an
/// implicit conversion or <c>ToScalar</c>, or a call to a TorchSharp method that makes one inside
/// (found by following TorchSharp's own calls, lambdas included). Virtual calls cannot be followed
/// to their target, so every virtual method of a TorchSharp type the scanned code uses (its fields,
/// locals, constructed objects, called methods' types and results) is checked as well.
/// </summary>
internal sealed class ScalarCreationScanner : IDisposable
{
    private readonly AssemblyDefinition _torchSharp;
    private readonly Dictionary<string, string?> _memo = [];

    public ScalarCreationScanner()
    {
        _torchSharp = AssemblyDefinition.ReadAssembly(typeof(TorchSharp.torch).Assembly.Location);
    }

    /// <summary>Whether <paramref name="method"/> (a TorchSharp method) creates a scalar, with the call chain that does.</summary>
    public string? ScalarChain(MethodReference method)
    {
        if (IsScalarMaker(method)) return Describe(method);
        MethodDefinition? definition = ResolveInTorchSharp(method);
        return definition is null ? null : Chain(definition, 0);
    }

    /// <summary>
    /// Every place in <paramref name="assemblyPath"/> that creates an unprotected scalar, as
    /// "Type.Method: chain". Methods of <paramref name="gateTypeName"/> may call the scalar makers
    /// themselves (they keep what they make alive) but nothing that makes one inside.
    /// </summary>
    public IReadOnlyList<string> Violations(string assemblyPath, string gateTypeName)
    {
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(assemblyPath)));
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location));
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath, new ReaderParameters { AssemblyResolver = resolver });
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (TypeDefinition type in assembly.MainModule.GetTypes())
        {
            bool gate = type.FullName == gateTypeName;
            foreach (FieldDefinition field in type.Fields) Use(field.FieldType, used);
            foreach (MethodDefinition method in type.Methods.Where(m => m.HasBody))
            {
                foreach (VariableDefinition variable in method.Body.Variables) Use(variable.VariableType, used);
                foreach (Instruction instruction in method.Body.Instructions)
                {
                    if (instruction.Operand is not MethodReference called || !IsTorchSharp(called.DeclaringType)) continue;
                    Use(called.DeclaringType, used);
                    Use(called.ReturnType, used);
                    if (gate && IsScalarMaker(called)) continue;
                    string? chain = ScalarChain(called);
                    if (chain is not null) violations.Add($"{type.FullName}.{method.Name}: {chain}");
                }
            }
        }
        foreach (string typeName in used)
        {
            TypeDefinition? type = _torchSharp.MainModule.GetType(typeName);
            for (; type is not null; type = type.BaseType is { } b && IsTorchSharp(b) ? b.Resolve() : null)
                foreach (MethodDefinition method in type.Methods.Where(m => m.IsVirtual && !m.IsAbstract && m.HasBody))
                    if (Chain(method, 0) is { } chain)
                        violations.Add($"uses {typeName}, whose virtual {chain}");
        }
        return [.. violations];
    }

    private string? Chain(MethodDefinition method, int depth)
    {
        string key = method.FullName;
        if (_memo.TryGetValue(key, out string? known)) return known;
        _memo[key] = null; // breaks recursion cycles
        string? found = null;
        if (depth < 16 && method.HasBody)
        {
            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is not MethodReference called) continue;
                if (IsScalarMaker(called))
                {
                    found = $"{Describe(method)} -> {Describe(called)}";
                    break;
                }
                if (ResolveInTorchSharp(called) is { } next && Chain(next, depth + 1) is { } rest)
                {
                    found = $"{Describe(method)} -> {rest}";
                    break;
                }
            }
        }
        _memo[key] = found;
        return found;
    }

    private MethodDefinition? ResolveInTorchSharp(MethodReference method)
    {
        if (!IsTorchSharp(method.DeclaringType)) return null;
        try
        {
            MethodDefinition? definition = method.Resolve();
            return definition?.Module.Assembly.Name.Name == _torchSharp.Name.Name ? definition : null;
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    private static bool IsScalarMaker(MethodReference method) =>
        method.ReturnType.FullName == "TorchSharp.Scalar"
        && (method.DeclaringType.FullName == "TorchSharp.Scalar" && method.Name == "op_Implicit"
            || method.DeclaringType.FullName == "TorchSharp.ScalarExtensionMethods");

    private static bool IsTorchSharp(TypeReference type) =>
        (type.Scope is AssemblyNameReference name ? name.Name : type.Module.Assembly.Name.Name) == "TorchSharp";

    private void Use(TypeReference type, HashSet<string> used)
    {
        if (type is GenericInstanceType generic)
        {
            Use(generic.ElementType, used);
            foreach (TypeReference argument in generic.GenericArguments) Use(argument, used);
            return;
        }
        if (type is TypeSpecification specification)
        {
            Use(specification.ElementType, used);
            return;
        }
        if (IsTorchSharp(type)) used.Add(type.FullName);
    }

    private static string Describe(MethodReference method) =>
        $"{method.DeclaringType.Name}.{method.Name}({string.Join(", ", method.Parameters.Select(p => p.ParameterType.Name))})";

    public void Dispose() => _torchSharp.Dispose();
}
