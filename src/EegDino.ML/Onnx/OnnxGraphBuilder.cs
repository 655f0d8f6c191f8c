using System.Globalization;

namespace EegDino.ML.Onnx;

/// <summary>
/// Builds an ONNX graph node by node: unique value and node names, initialisers, and one helper per
/// operator the exporter uses, written for the chosen opset (where an operator's signature changed
/// between opsets, e.g. <c>ReduceMean</c>'s axes became an input in opset 18, the helper emits the
/// form of that opset). Values are named <c>scope/op_n</c> so that a reader of the graph (Netron,
/// an ONNX Runtime error message) can tell which part of the network a node belongs to.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly List<OnnxNode> _nodes = [];
    private readonly List<OnnxTensor> _initializers = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);
    private readonly Stack<string> _scopes = new();
    private int _counter;

    public OnnxGraphBuilder(int opset, OnnxProto.DataType computeType)
    {
        Opset = opset;
        ComputeType = computeType;
    }

    /// <summary>The default-domain opset the nodes are written for.</summary>
    public int Opset { get; }

    /// <summary>The element type of weights and matrix work: float32, or float16.</summary>
    public OnnxProto.DataType ComputeType { get; }

    public IReadOnlyList<OnnxNode> Nodes => _nodes;

    public IReadOnlyList<OnnxTensor> Initializers => _initializers;

    /// <summary>Names the nodes made until the returned scope is disposed with a prefix (<c>encoder_layers.3/...</c>).</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Push(name);
        return new ScopeExit(_scopes);
    }

    private sealed class ScopeExit(Stack<string> scopes) : IDisposable
    {
        public void Dispose() => scopes.Pop();
    }

    private string Prefix => _scopes.Count == 0 ? "" : string.Join("/", _scopes.Reverse()) + "/";

    /// <summary>Reserves <paramref name="name"/> (a graph input or output); a second use is a bug.</summary>
    public string Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is used twice.");
        return name;
    }

    private string Fresh(string op)
    {
        string name;
        do name = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{op}_{_counter++}");
        while (!_names.Add(name));
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name (<paramref name="output"/> or a fresh one).</summary>
    public string Node(string op, IReadOnlyList<string> inputs, IReadOnlyList<OnnxAttribute>? attributes = null, string? output = null)
    {
        string result = output is null ? Fresh(op) : Reserve(output);
        _nodes.Add(new OnnxNode(result, op, inputs, [result], attributes ?? []));
        return result;
    }

    /// <summary>A weight in the compute type (float32 or float16), named after its checkpoint key.</summary>
    public string Weight(string name, long[] dims, ReadOnlySpan<float> values) => AddInitializer(OnnxTensor.FromFloats(Reserve(name), dims, values, ComputeType));

    /// <summary>A float32 constant, whatever the compute type (normalisation parameters, the DFT basis).</summary>
    public string Float32(string name, long[] dims, ReadOnlySpan<float> values) =>
        AddInitializer(OnnxTensor.FromFloats(Reserve(name), dims, values, OnnxProto.DataType.Float));

    /// <summary>A scalar constant of <paramref name="type"/>.</summary>
    public string Scalar(float value, OnnxProto.DataType type) =>
        AddInitializer(OnnxTensor.FromFloats(Fresh("const"), [], [value], type));

    /// <summary>A 1-D int64 constant (shapes, axes, pads); equal constants are shared.</summary>
    public string Int64s(params long[] values)
    {
        string key = "ints:" + string.Join(",", values);
        if (_int64Constants.TryGetValue(key, out string? existing)) return existing;
        string name = AddInitializer(OnnxTensor.FromInt64s(Fresh("ints"), [values.Length], values));
        _int64Constants[key] = name;
        return name;
    }

    /// <summary>A 0-d int64 constant (a Gather index, the DFT axis); equal constants are shared.</summary>
    public string Int64Scalar(long value)
    {
        string key = "scalar:" + value.ToString(CultureInfo.InvariantCulture);
        if (_int64Constants.TryGetValue(key, out string? existing)) return existing;
        string name = AddInitializer(OnnxTensor.FromInt64s(Fresh("int"), [], [value]));
        _int64Constants[key] = name;
        return name;
    }

    private string AddInitializer(OnnxTensor tensor)
    {
        _initializers.Add(tensor);
        return tensor.Name;
    }

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64s(shape)]);

    public string Reshape(string x, string shape) => Node("Reshape", [x, shape]);

    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], [OnnxAttribute.Ints("perm", perm)]);

    public string Cast(string x, OnnxProto.DataType to) => Node("Cast", [x], [OnnxAttribute.Int("to", (long)to)]);

    /// <summary>Casts to the compute type when it is not float32 (no node otherwise).</summary>
    public string ToCompute(string x) => ComputeType == OnnxProto.DataType.Float ? x : Cast(x, ComputeType);

    /// <summary>Casts a compute-type value to float32 when the compute type is not float32 (no node otherwise).</summary>
    public string ToFloat32(string x) => ComputeType == OnnxProto.DataType.Float ? x : Cast(x, OnnxProto.DataType.Float);

    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, [OnnxAttribute.Int("axis", axis)]);

    /// <summary><c>x[starts:ends]</c> along <paramref name="axes"/> (ends may be <see cref="long.MaxValue"/> for "to the end").</summary>
    public string Slice(string x, long[] starts, long[] ends, long[] axes) => Node("Slice", [x, Int64s(starts), Int64s(ends), Int64s(axes)]);

    /// <summary><c>x[starts:ends]</c> with the ends given as a computed 1-D int64 value.</summary>
    public string Slice(string x, long[] starts, string ends, long[] axes) => Node("Slice", [x, Int64s(starts), ends, Int64s(axes)]);

    /// <summary>
    /// A reduction (<c>ReduceMean</c>, <c>ReduceL2</c>, ...) over <paramref name="axes"/>; the axes are an
    /// attribute before opset 18 and an input from 18 (ReduceSum changed at 13 and is not used here).
    /// </summary>
    public string Reduce(string op, string x, long[] axes, bool keepDims)
    {
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        return Opset >= 18
            ? Node(op, [x, Int64s(axes)], [keep])
            : Node(op, [x], [OnnxAttribute.Ints("axes", axes), keep]);
    }

    public string ReduceMean(string x, long[] axes, bool keepDims) => Reduce("ReduceMean", x, axes, keepDims);

    /// <summary><c>Shape(x)[start:end]</c> as a 1-D int64 value.</summary>
    public string Shape(string x, long start, long end) =>
        Node("Shape", [x], [OnnxAttribute.Int("start", start), OnnxAttribute.Int("end", end)]);

    /// <summary>Exact GELU, <c>0.5 x (1 + erf(x / sqrt 2))</c> (PyTorch's default), in the type of <paramref name="x"/>.</summary>
    public string Gelu(string x, OnnxProto.DataType type)
    {
        string erf = Node("Erf", [Div(x, Scalar(MathF.Sqrt(2f), type))]);
        return Mul(Mul(x, Add(erf, Scalar(1f, type))), Scalar(0.5f, type));
    }

    /// <summary>
    /// A torch <c>Linear</c> on the last axis: <c>x W^T + b</c>, with W <c>[out, in]</c> stored transposed
    /// as <c>[in, out]</c> so that it is a plain MatMul operand.
    /// </summary>
    public string Linear(string x, string key, Weights.WeightTensor weight, Weights.WeightTensor? bias)
    {
        long outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        string w = Weight(key + ".weight.T", [inFeatures, outFeatures], Transposed(weight.Data, outFeatures, inFeatures));
        string y = MatMul(x, w);
        return bias is null ? y : Add(y, Weight(key + ".bias", [outFeatures], bias.Data));
    }

    /// <summary>Row-major <c>[rows, cols]</c> -> <c>[cols, rows]</c>.</summary>
    public static float[] Transposed(float[] data, long rows, long cols)
    {
        var result = new float[data.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < cols; c++) result[c * rows + r] = data[r * cols + c];
        }
        return result;
    }
}
