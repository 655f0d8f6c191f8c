using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// Holds the value of one upstream column for each row of a batch, so that the cursor can move the
/// upstream cursor N rows ahead and still serve every row's values afterwards. Values are copied:
/// upstream getters may reuse their buffers.
/// </summary>
internal abstract class RowValueBuffer
{
    public static RowValueBuffer Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        Type raw = column.Type.RawType;
        Type bufferType = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorValueBuffer<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ScalarValueBuffer<>).MakeGenericType(raw);
        return (RowValueBuffer)Activator.CreateInstance(bufferType, row, column, capacity)!;
    }

    /// <summary>Copies the upstream row's current value into slot <paramref name="slot"/>.</summary>
    public abstract void Capture(int slot);

    /// <summary>A getter that serves the value of the slot <paramref name="currentSlot"/> returns.</summary>
    public abstract Delegate CreateGetter(Func<int> currentSlot);
}

internal sealed class ScalarValueBuffer<T> : RowValueBuffer
{
    private readonly ValueGetter<T> _getter;
    private readonly T[] _values;

    public ScalarValueBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _getter = row.GetGetter<T>(column);
        _values = new T[capacity];
    }

    public override void Capture(int slot)
    {
        _getter(ref _values[slot]);
        // Text may point into a buffer the upstream cursor reuses for the next row.
        if (_values[slot] is ReadOnlyMemory<char> text)
            _values[slot] = (T)(object)new ReadOnlyMemory<char>(text.ToArray());
    }

    public override Delegate CreateGetter(Func<int> currentSlot) =>
        (ValueGetter<T>)((ref T value) => value = _values[currentSlot()]);
}

internal sealed class VectorValueBuffer<T> : RowValueBuffer
{
    private readonly ValueGetter<VBuffer<T>> _getter;
    private readonly VBuffer<T>[] _values;
    private VBuffer<T> _scratch;

    public VectorValueBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _getter = row.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[capacity];
    }

    public override void Capture(int slot)
    {
        _getter(ref _scratch);
        _scratch.CopyTo(ref _values[slot]);
    }

    public override Delegate CreateGetter(Func<int> currentSlot) =>
        (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[currentSlot()].CopyTo(ref value));
}
