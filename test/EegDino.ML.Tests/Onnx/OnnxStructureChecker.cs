using Onnx;

namespace EegDino.ML.Tests.Onnx;

/// <summary>
/// A structural checker for exported models, reading the bytes with OnnxSharp's classes generated from
/// onnx.proto (not the exporter's writer): opset and IR version declared, every value defined once and
/// before use, names unique, graph outputs produced, initialisers' shapes matching their data and all
/// of them used. ONNX Runtime's load checks the rest (operator schemas, attributes, type inference).
/// </summary>
internal static class OnnxStructureChecker
{
    public static List<string> Check(ModelProto model, int expectedOpset, long expectedIrVersion)
    {
        var problems = new List<string>();
        if (model.IrVersion != expectedIrVersion) problems.Add($"ir_version is {model.IrVersion}; expected {expectedIrVersion}");
        var defaultDomain = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (defaultDomain.Count != 1 || defaultDomain[0].Version != expectedOpset)
            problems.Add($"opset_import declares the default domain {defaultDomain.Count} time(s) ({string.Join(", ", defaultDomain.Select(o => o.Version))}); expected once, version {expectedOpset}");

        var graph = model.Graph;
        if (graph is null || graph.Node.Count == 0)
        {
            problems.Add("the model has no graph or no nodes");
            return problems;
        }

        var defined = new HashSet<string>(StringComparer.Ordinal);
        void Define(string name, string what)
        {
            if (string.IsNullOrEmpty(name)) problems.Add($"{what} has an empty name");
            else if (!defined.Add(name)) problems.Add($"value '{name}' ({what}) is defined more than once");
        }
        foreach (var input in graph.Input) Define(input.Name, "graph input");
        foreach (var tensor in graph.Initializer)
        {
            Define(tensor.Name, "initializer");
            CheckInitializer(tensor, problems);
        }

        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (string.IsNullOrEmpty(node.OpType)) problems.Add($"node '{node.Name}' has no op_type");
            if (!string.IsNullOrEmpty(node.Domain)) problems.Add($"node '{node.Name}' uses domain '{node.Domain}', which the model does not import");
            if (!nodeNames.Add(node.Name)) problems.Add($"node name '{node.Name}' is used more than once");
            foreach (string input in node.Input)
            {
                if (input.Length == 0) continue; // an optional input left out
                if (!defined.Contains(input)) problems.Add($"node '{node.Name}' ({node.OpType}) reads '{input}' before it is defined");
                used.Add(input);
            }
            foreach (string output in node.Output) Define(output, $"output of node '{node.Name}'");
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name)) problems.Add($"graph output '{output.Name}' is not produced by any node");
            if (output.Type?.TensorType is null) problems.Add($"graph output '{output.Name}' has no tensor type");
        }
        foreach (var tensor in graph.Initializer)
        {
            if (!used.Contains(tensor.Name)) problems.Add($"initializer '{tensor.Name}' is not used by any node");
        }
        return problems;
    }

    private static void CheckInitializer(TensorProto tensor, List<string> problems)
    {
        if (tensor.Dims.Any(d => d < 0)) problems.Add($"initializer '{tensor.Name}' has a negative dimension [{string.Join(", ", tensor.Dims)}]");
        long count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        int elementSize = (TensorProto.Types.DataType)tensor.DataType switch
        {
            TensorProto.Types.DataType.Float => 4,
            TensorProto.Types.DataType.Float16 => 2,
            TensorProto.Types.DataType.Int64 => 8,
            _ => -1,
        };
        if (elementSize < 0)
        {
            problems.Add($"initializer '{tensor.Name}' has data_type {tensor.DataType}, which the exporter does not write");
            return;
        }
        long stored = tensor.RawData.Length > 0 ? tensor.RawData.Length / elementSize : tensor.FloatData.Count + tensor.Int64Data.Count + tensor.Int32Data.Count;
        if (tensor.RawData.Length % elementSize != 0 || stored != count)
            problems.Add($"initializer '{tensor.Name}': dims [{string.Join(", ", tensor.Dims)}] need {count} values; {stored} are stored ({tensor.RawData.Length} raw bytes)");
    }
}
