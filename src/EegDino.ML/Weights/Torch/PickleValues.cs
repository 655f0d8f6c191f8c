using System.Numerics;

namespace EegDino.ML.Weights.Torch;

// The values the safe unpickler produces. Python's None is null, bool is bool, int is long (or
// BigInteger beyond 64 bits), float is double, str is string, bytes is byte[]. Containers and
// anything class-shaped get the small inert types below: nothing here ever runs code.

/// <summary>Short descriptions of unpickled values, for messages and summaries.</summary>
internal static class PickleValue
{
    /// <summary>e.g. <c>int 7</c>, <c>str 'lr'</c>, <c>dict (3 items)</c>, <c>F32 tensor [2, 3]</c>.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => "int " + l,
        BigInteger bi => "int " + bi,
        double d => "float " + d.ToString(System.Globalization.CultureInfo.InvariantCulture),
        string s => "str '" + (s.Length > 40 ? s[..40] + "..." : s) + "'",
        byte[] b => $"bytes ({b.Length})",
        PickleTuple t => $"tuple ({t.Items.Length} items)",
        PickleList l => $"list ({l.Items.Count} items)",
        PickleDict d => $"dict ({d.Count} items)",
        PickleSet s => $"set ({s.Items.Count} items)",
        PickleGlobal g => "global " + g.FullName,
        PicklePlaceholder p => p.ClassName + " object",
        TorchStorageRef s => $"{s.Type.DType} storage '{s.Key}'",
        TorchTensorRef t => $"{t.Storage.Type.DType} tensor {t.ShapeText}",
        _ => value.GetType().Name,
    };
}

/// <summary>A Python list (mutable: APPEND/APPENDS fill it after it is memoised).</summary>
internal sealed class PickleList(List<object?> items)
{
    public List<object?> Items { get; } = items;
}

/// <summary>A Python tuple.</summary>
internal sealed class PickleTuple(object?[] items)
{
    public static readonly PickleTuple Empty = new([]);

    public object?[] Items { get; } = items;
}

/// <summary>
/// A Python dict or <c>collections.OrderedDict</c>, in insertion order. Keys that are strings or
/// integers replace an earlier equal key (Python semantics); other keys are kept as given.
/// </summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        object? indexKey = key switch
        {
            string s => s,
            long l => l,
            bool b => b ? 1L : 0L,
            BigInteger bi => bi,
            _ => null,
        };
        if (indexKey is not null && _index.TryGetValue(indexKey, out int at))
        {
            _items[at] = new(key, value);
            return;
        }
        if (indexKey is not null) _index[indexKey] = _items.Count;
        _items.Add(new(key, value));
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int at))
        {
            value = _items[at].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>A Python set or frozenset (kept as a list: only ever reported, never queried).</summary>
internal sealed class PickleSet(bool frozen)
{
    public bool Frozen { get; } = frozen;

    public List<object?> Items { get; } = [];
}

/// <summary>
/// A global name (<c>module.name</c>) pushed by GLOBAL/STACK_GLOBAL. Only a name: nothing is
/// imported or resolved.
/// </summary>
internal sealed class PickleGlobal(string module, string name)
{
    public string Module { get; } = module;

    public string Name { get; } = name;

    public string FullName => Module + "." + Name;

    public override string ToString() => FullName;
}

/// <summary>
/// An inert stand-in for an object of a class outside the allow-list (e.g.
/// <c>argparse.Namespace</c>): the class name, the constructor arguments and the state BUILD
/// gave it, as plain data. No class is looked up, no constructor or <c>__setstate__</c> runs.
/// </summary>
internal sealed class PicklePlaceholder(string className, object?[] arguments)
{
    public string ClassName { get; } = className;

    public object?[] Arguments { get; } = arguments;

    /// <summary>The states BUILD applied, in order (usually one: the instance <c>__dict__</c>).</summary>
    public List<object?> States { get; } = [];

    public override string ToString() => ClassName + " object";
}

/// <summary>
/// A storage named by a persistent id <c>('storage', torch.XStorage, key, location, numel)</c>.
/// Its bytes stay in the archive until a tensor that is kept needs them.
/// </summary>
internal sealed class TorchStorageRef(TorchStorageType type, string key, string location, long elementCount)
{
    public TorchStorageType Type { get; } = type;

    /// <summary>The record name under <c>&lt;archive&gt;/data/</c>.</summary>
    public string Key { get; } = key;

    public string Location { get; } = location;

    public long ElementCount { get; } = elementCount;
}

/// <summary>
/// A tensor view built by <c>torch._utils._rebuild_tensor_v2</c>: storage, element offset, sizes
/// and strides (in elements), already checked to stay inside the storage.
/// </summary>
internal sealed class TorchTensorRef(TorchStorageRef storage, long offset, long[] shape, long[] stride)
{
    public TorchStorageRef Storage { get; } = storage;

    public long Offset { get; } = offset;

    public long[] Shape { get; } = shape;

    public long[] Stride { get; } = stride;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>The element types of torch storages (<c>torch.FloatStorage</c> and friends).</summary>
internal sealed class TorchStorageType
{
    // Storage class -> dtype as safetensors names it (sizes and decoding in DTypeDecoder).
    private static readonly Dictionary<string, TorchStorageType> ByName = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["FloatStorage"] = "F32",
        ["HalfStorage"] = "F16",
        ["BFloat16Storage"] = "BF16",
        ["DoubleStorage"] = "F64",
        ["LongStorage"] = "I64",
        ["IntStorage"] = "I32",
        ["ShortStorage"] = "I16",
        ["CharStorage"] = "I8",
        ["ByteStorage"] = "U8",
        ["BoolStorage"] = "BOOL",
        ["ComplexFloatStorage"] = "C64",
        ["ComplexDoubleStorage"] = "C128",
    }.ToDictionary(kv => kv.Key, kv => new TorchStorageType(kv.Value, DTypeDecoder.ElementSize(kv.Value)!.Value), StringComparer.Ordinal);

    private TorchStorageType(string dtype, int elementSize)
    {
        DType = dtype;
        ElementSize = elementSize;
    }

    /// <summary>Short dtype name as safetensors spells it (F32, F16, BF16, F64, I64...).</summary>
    public string DType { get; }

    /// <summary>Bytes per element (0 for an unknown storage class).</summary>
    public int ElementSize { get; }

    /// <summary>True for the dtypes converted to float32 weights (see <see cref="DTypeDecoder.IsFloat"/>).</summary>
    public bool IsFloat => DTypeDecoder.IsFloat(DType);

    /// <summary>
    /// The type named <c>torch.&lt;Name&gt;Storage</c>; any other class gives a non-float type of
    /// unknown element size, whose tensors are reported and never read.
    /// </summary>
    public static TorchStorageType FromGlobal(PickleGlobal g) =>
        g.Module == "torch" && ByName.TryGetValue(g.Name, out var t) ? t : new(g.FullName, 0);
}
