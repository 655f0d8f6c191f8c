using System.Runtime.InteropServices;
using Google.Protobuf;

namespace EegDino.ML.Onnx;

/// <summary>
/// The few messages of <c>onnx.proto</c> an exported model needs (ModelProto, GraphProto, NodeProto,
/// AttributeProto, TensorProto, ValueInfoProto and their small helpers), each with the field numbers
/// of onnx.proto and a size computation so that a whole model streams to a file in one pass with
/// Google.Protobuf's <see cref="CodedOutputStream"/>. Why not generated classes: these eight messages
/// with a handful of fields each are all the exporter needs, field numbers in onnx.proto never
/// change, and streaming avoids holding a second copy of the weights as protobuf byte strings.
/// Repeated scalars are written unpacked (onnx.proto is proto2, where that is the canonical form;
/// parsers accept both). Sizes are computed as <see cref="long"/> so that a model over protobuf's
/// 2 GiB limit is refused before anything is written.
/// </summary>
internal static class OnnxProto
{
    /// <summary>TensorProto.DataType values used here.</summary>
    public enum DataType
    {
        Float = 1,
        Int64 = 7,
        Float16 = 10,
    }

    /// <summary>Size of a length-delimited field (tag, length, content).</summary>
    public static long Delimited(int field, long contentSize) =>
        CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeLengthSize(checked((int)Math.Min(contentSize, int.MaxValue))) + contentSize;

    public static long StringField(int field, string? value) =>
        string.IsNullOrEmpty(value) ? 0 : Delimited(field, System.Text.Encoding.UTF8.GetByteCount(value));

    public static long Int64Field(int field, long value) =>
        CodedOutputStream.ComputeTagSize(field) + CodedOutputStream.ComputeInt64Size(value);

    public static void WriteString(CodedOutputStream output, int field, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    public static void WriteInt64(CodedOutputStream output, int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    public static void WriteMessageHeader(CodedOutputStream output, int field, long size)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteLength(checked((int)size));
    }
}

/// <summary>An ONNX message that knows its encoded size and writes itself.</summary>
internal interface IOnnxMessage
{
    long ComputeSize();

    void WriteTo(CodedOutputStream output);
}

/// <summary>onnx.proto <c>TensorProto</c> with <c>raw_data</c> (little-endian), used for every initialiser.</summary>
internal sealed class OnnxTensor : IOnnxMessage
{
    private readonly byte[] _raw;

    private OnnxTensor(string name, long[] dims, OnnxProto.DataType type, byte[] raw)
    {
        Name = name;
        Dims = dims;
        Type = type;
        _raw = raw;
    }

    public string Name { get; }

    public long[] Dims { get; }

    public OnnxProto.DataType Type { get; }

    public long ElementCount => Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>A float tensor stored as <paramref name="type"/> (float32, or float16 rounded to nearest even).</summary>
    public static OnnxTensor FromFloats(string name, long[] dims, ReadOnlySpan<float> values, OnnxProto.DataType type)
    {
        CheckCount(name, dims, values.Length);
        byte[] raw;
        if (type == OnnxProto.DataType.Float)
        {
            raw = MemoryMarshal.AsBytes(values).ToArray();
            if (!BitConverter.IsLittleEndian) SwapEach(raw, 4);
        }
        else if (type == OnnxProto.DataType.Float16)
        {
            raw = new byte[values.Length * 2];
            for (int i = 0; i < values.Length; i++)
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(raw.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)values[i]));
        }
        else
        {
            throw new ArgumentException($"Tensor {name}: float values cannot be stored as {type}.", nameof(type));
        }
        return new OnnxTensor(name, dims, type, raw);
    }

    public static OnnxTensor FromInt64s(string name, long[] dims, ReadOnlySpan<long> values)
    {
        CheckCount(name, dims, values.Length);
        byte[] raw = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian) SwapEach(raw, 8);
        return new OnnxTensor(name, dims, OnnxProto.DataType.Int64, raw);
    }

    private static void CheckCount(string name, long[] dims, int count)
    {
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
            throw new ArgumentException($"Tensor {name}: dims [{string.Join(", ", dims)}] need {expected} values; {count} were given.");
    }

    private static void SwapEach(byte[] raw, int width)
    {
        for (int i = 0; i < raw.Length; i += width) raw.AsSpan(i, width).Reverse();
    }

    // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9.
    public long ComputeSize() =>
        Dims.Sum(d => OnnxProto.Int64Field(1, d)) + OnnxProto.Int64Field(2, (long)Type) + OnnxProto.StringField(8, Name)
        + OnnxProto.Delimited(9, _raw.Length);

    public void WriteTo(CodedOutputStream output)
    {
        foreach (long d in Dims) OnnxProto.WriteInt64(output, 1, d);
        OnnxProto.WriteInt64(output, 2, (long)Type);
        OnnxProto.WriteString(output, 8, Name);
        output.WriteTag(9, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(UnsafeByteOperations.UnsafeWrap(_raw));
    }
}

/// <summary>onnx.proto <c>AttributeProto</c> of type FLOAT, INT, STRING or INTS.</summary>
internal sealed class OnnxAttribute : IOnnxMessage
{
    private enum Kind { Float = 1, Int = 2, String = 3, Ints = 7 }

    private readonly Kind _kind;
    private readonly long _int;
    private readonly float _float;
    private readonly long[] _ints;
    private readonly string _string;

    private OnnxAttribute(string name, Kind kind, long i = 0, float f = 0, long[]? ints = null, string s = "")
    {
        Name = name;
        _kind = kind;
        _int = i;
        _float = f;
        _ints = ints ?? [];
        _string = s;
    }

    public string Name { get; }

    public static OnnxAttribute Int(string name, long value) => new(name, Kind.Int, i: value);

    public static OnnxAttribute Float(string name, float value) => new(name, Kind.Float, f: value);

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, Kind.Ints, ints: values);

    public static OnnxAttribute String(string name, string value) => new(name, Kind.String, s: value);

    // AttributeProto: name = 1, f = 2, i = 3, s = 4, ints = 8, type = 20.
    public long ComputeSize() => OnnxProto.StringField(1, Name) + OnnxProto.Int64Field(20, (long)_kind) + _kind switch
    {
        Kind.Float => CodedOutputStream.ComputeTagSize(2) + 4,
        Kind.Int => OnnxProto.Int64Field(3, _int),
        Kind.String => OnnxProto.Delimited(4, System.Text.Encoding.UTF8.GetByteCount(_string)),
        _ => _ints.Sum(v => OnnxProto.Int64Field(8, v)),
    };

    public void WriteTo(CodedOutputStream output)
    {
        OnnxProto.WriteString(output, 1, Name);
        switch (_kind)
        {
            case Kind.Float:
                output.WriteTag(2, WireFormat.WireType.Fixed32);
                output.WriteFloat(_float);
                break;
            case Kind.Int:
                OnnxProto.WriteInt64(output, 3, _int);
                break;
            case Kind.String:
                output.WriteTag(4, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFromUtf8(_string));
                break;
            default:
                foreach (long v in _ints) OnnxProto.WriteInt64(output, 8, v);
                break;
        }
        OnnxProto.WriteInt64(output, 20, (long)_kind);
    }
}

/// <summary>onnx.proto <c>NodeProto</c> of the default domain.</summary>
internal sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes)
    : IOnnxMessage
{
    // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
    public long ComputeSize() =>
        Inputs.Sum(i => OnnxProto.Delimited(1, System.Text.Encoding.UTF8.GetByteCount(i)))
        + Outputs.Sum(o => OnnxProto.StringField(2, o)) + OnnxProto.StringField(3, Name) + OnnxProto.StringField(4, OpType)
        + Attributes.Sum(a => OnnxProto.Delimited(5, a.ComputeSize()));

    public void WriteTo(CodedOutputStream output)
    {
        foreach (string i in Inputs)
        {
            // An empty input name means "optional input left out" and must still take its position.
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(i);
        }
        foreach (string o in Outputs) OnnxProto.WriteString(output, 2, o);
        OnnxProto.WriteString(output, 3, Name);
        OnnxProto.WriteString(output, 4, OpType);
        foreach (var a in Attributes)
        {
            OnnxProto.WriteMessageHeader(output, 5, a.ComputeSize());
            a.WriteTo(output);
        }
    }
}

/// <summary>
/// onnx.proto <c>ValueInfoProto</c> of a tensor: name, element type and shape, each dimension either
/// fixed (<c>dim_value</c>) or symbolic (<c>dim_param</c>, e.g. <c>batch</c>).
/// </summary>
internal sealed record OnnxValueInfo(string Name, OnnxProto.DataType Type, IReadOnlyList<OnnxDim> Shape, string? Doc = null) : IOnnxMessage
{
    // Dimension: dim_value = 1, dim_param = 2. TensorShapeProto: dim = 1.
    private static long DimSize(OnnxDim d) => d.Symbol is null ? OnnxProto.Int64Field(1, d.Value) : OnnxProto.StringField(2, d.Symbol);

    private long ShapeSize() => Shape.Sum(d => OnnxProto.Delimited(1, DimSize(d)));

    // TypeProto.Tensor: elem_type = 1, shape = 2.
    private long TensorTypeSize() => OnnxProto.Int64Field(1, (long)Type) + OnnxProto.Delimited(2, ShapeSize());

    // TypeProto: tensor_type = 1. ValueInfoProto: name = 1, type = 2, doc_string = 3.
    public long ComputeSize() =>
        OnnxProto.StringField(1, Name) + OnnxProto.Delimited(2, OnnxProto.Delimited(1, TensorTypeSize())) + OnnxProto.StringField(3, Doc);

    public void WriteTo(CodedOutputStream output)
    {
        OnnxProto.WriteString(output, 1, Name);
        OnnxProto.WriteMessageHeader(output, 2, OnnxProto.Delimited(1, TensorTypeSize()));
        OnnxProto.WriteMessageHeader(output, 1, TensorTypeSize());
        OnnxProto.WriteInt64(output, 1, (long)Type);
        OnnxProto.WriteMessageHeader(output, 2, ShapeSize());
        foreach (var d in Shape)
        {
            OnnxProto.WriteMessageHeader(output, 1, DimSize(d));
            if (d.Symbol is null) OnnxProto.WriteInt64(output, 1, d.Value);
            else OnnxProto.WriteString(output, 2, d.Symbol);
        }
        OnnxProto.WriteString(output, 3, Doc);
    }
}

/// <summary>One dimension of a value's shape: a fixed size or a named symbolic one.</summary>
internal readonly record struct OnnxDim(long Value, string? Symbol)
{
    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(string symbol) => new(0, symbol);
}

/// <summary>onnx.proto <c>GraphProto</c>: nodes in topological order, initialisers, inputs and outputs.</summary>
internal sealed record OnnxGraph(string Name, IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs, string? Doc) : IOnnxMessage
{
    // GraphProto: node = 1, name = 2, initializer = 5, doc_string = 10, input = 11, output = 12.
    public long ComputeSize() =>
        Nodes.Sum(n => OnnxProto.Delimited(1, n.ComputeSize())) + OnnxProto.StringField(2, Name)
        + Initializers.Sum(t => OnnxProto.Delimited(5, t.ComputeSize())) + OnnxProto.StringField(10, Doc)
        + Inputs.Sum(i => OnnxProto.Delimited(11, i.ComputeSize())) + Outputs.Sum(o => OnnxProto.Delimited(12, o.ComputeSize()));

    public void WriteTo(CodedOutputStream output)
    {
        foreach (var n in Nodes) WriteChild(output, 1, n);
        OnnxProto.WriteString(output, 2, Name);
        foreach (var t in Initializers) WriteChild(output, 5, t);
        OnnxProto.WriteString(output, 10, Doc);
        foreach (var i in Inputs) WriteChild(output, 11, i);
        foreach (var o in Outputs) WriteChild(output, 12, o);
    }

    internal static void WriteChild(CodedOutputStream output, int field, IOnnxMessage child)
    {
        OnnxProto.WriteMessageHeader(output, field, child.ComputeSize());
        child.WriteTo(output);
    }
}

/// <summary>onnx.proto <c>ModelProto</c> with one graph, the default-domain opset and string metadata.</summary>
internal sealed record OnnxModel(long IrVersion, int Opset, string ProducerName, string ProducerVersion, string? Doc,
    OnnxGraph Graph, IReadOnlyList<KeyValuePair<string, string>> Metadata) : IOnnxMessage
{
    /// <summary>Protobuf cannot encode a message of 2 GiB or more.</summary>
    public const long MaximumSize = int.MaxValue;

    // OperatorSetIdProto: domain = 1, version = 2 (the default domain is the empty string, left out).
    private long OpsetSize() => OnnxProto.Int64Field(2, Opset);

    // StringStringEntryProto: key = 1, value = 2.
    private static long EntrySize(KeyValuePair<string, string> e) => OnnxProto.StringField(1, e.Key) + OnnxProto.StringField(2, e.Value);

    // ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, doc_string = 6, graph = 7,
    // opset_import = 8, metadata_props = 14.
    public long ComputeSize() =>
        OnnxProto.Int64Field(1, IrVersion) + OnnxProto.StringField(2, ProducerName) + OnnxProto.StringField(3, ProducerVersion)
        + OnnxProto.StringField(6, Doc) + OnnxProto.Delimited(7, Graph.ComputeSize()) + OnnxProto.Delimited(8, OpsetSize())
        + Metadata.Sum(e => OnnxProto.Delimited(14, EntrySize(e)));

    public void WriteTo(CodedOutputStream output)
    {
        OnnxProto.WriteInt64(output, 1, IrVersion);
        OnnxProto.WriteString(output, 2, ProducerName);
        OnnxProto.WriteString(output, 3, ProducerVersion);
        OnnxProto.WriteString(output, 6, Doc);
        OnnxGraph.WriteChild(output, 7, Graph);
        OnnxProto.WriteMessageHeader(output, 8, OpsetSize());
        OnnxProto.WriteInt64(output, 2, Opset);
        foreach (var e in Metadata)
        {
            OnnxProto.WriteMessageHeader(output, 14, EntrySize(e));
            OnnxProto.WriteString(output, 1, e.Key);
            OnnxProto.WriteString(output, 2, e.Value);
        }
    }

    /// <summary>Writes the model to <paramref name="destination"/>; refuses one over protobuf's limit first.</summary>
    public void Save(Stream destination)
    {
        long size = ComputeSize();
        if (size >= MaximumSize)
            throw new EegDinoException($"The ONNX model would be {size / (1024.0 * 1024 * 1024):F2} GiB; a protobuf ONNX file must stay under 2 GiB (export in float16, which halves the weights).");
        using var output = new CodedOutputStream(destination, leaveOpen: true);
        WriteTo(output);
        output.Flush();
    }
}
