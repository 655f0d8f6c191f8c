using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// A transform bound to one input schema that appends columns computed from one signal column,
/// <see cref="OutputLength"/> floats per row, by a batched computation. The embedding transform and
/// the classification scoring both are one; <see cref="BatchedSignalDataView"/>,
/// <see cref="BatchedSignalCursor"/> and <see cref="SignalRowMapper"/> are the ML.NET plumbing they share.
/// </summary>
internal interface IBatchedSignalComputation
{
    /// <summary>The schema the computation was bound to.</summary>
    DataViewSchema InputSchema { get; }

    /// <summary>The input columns followed by the output columns.</summary>
    DataViewSchema OutputSchema { get; }

    /// <summary>Index of the signal column in <see cref="InputSchema"/>.</summary>
    int SignalColumnIndex { get; }

    /// <summary>Floats per row of the signal column.</summary>
    int SignalLength { get; }

    /// <summary>Floats per row that <see cref="Compute"/> writes; the output getters read these.</summary>
    int OutputLength { get; }

    /// <summary>Rows per forward pass in the batching cursor.</summary>
    int BatchSize { get; }

    /// <summary>When the row-to-row mapper may reuse the output it computed last.</summary>
    SingleRowReuse SingleRowReuse { get; }

    /// <summary>Whether <paramref name="columnIndex"/> of <see cref="OutputSchema"/> is a computed (not upstream) column.</summary>
    bool IsOutput(int columnIndex);

    /// <summary>
    /// Copies one row's signal densely into <paramref name="destination"/>; throws
    /// <see cref="EegDinoException"/> naming row <paramref name="rowPosition"/> when it is unusable.
    /// </summary>
    void CopySignal(in VBuffer<float> signal, Span<float> destination, long rowPosition);

    /// <summary>One forward pass: <paramref name="count"/> signals in, <c>[count, OutputLength]</c> floats out.</summary>
    void Compute(ReadOnlySpan<float> signals, int count, Span<float> outputs);

    /// <summary>
    /// The getter of output column <paramref name="column"/> over the current row's outputs (the
    /// <see cref="OutputLength"/> floats <paramref name="outputs"/> returns when the getter is called);
    /// throws <see cref="InvalidOperationException"/> when <typeparamref name="TValue"/> is not the column's type.
    /// </summary>
    ValueGetter<TValue> CreateOutputGetter<TValue>(DataViewSchema.Column column, RowOutputs outputs);
}

/// <summary>The current row's <see cref="IBatchedSignalComputation.OutputLength"/> outputs.</summary>
internal delegate Span<float> RowOutputs();

/// <summary>When <see cref="SignalRowMapper"/> reuses a row's last output instead of computing it again.</summary>
internal enum SingleRowReuse
{
    /// <summary>
    /// Reuse while the input row's position is the same and not negative, without reading the
    /// signal again; PredictionEngine serves every row at position -1, so there every read computes.
    /// </summary>
    SamePosition,

    /// <summary>
    /// Read and check the signal on every read and reuse the output while it is unchanged: for
    /// several output columns of one computation, which PredictionEngine reads separately at position -1.
    /// </summary>
    SameSignal,
}

/// <summary>Output getters shared by the computations.</summary>
internal static class SignalOutputGetters
{
    /// <summary>A <c>Vector&lt;Single&gt;</c> column holding all of the row's outputs.</summary>
    public static ValueGetter<TValue> Vector<TValue>(DataViewSchema.Column column, RowOutputs outputs)
    {
        if (typeof(TValue) != typeof(VBuffer<float>))
            throw new InvalidOperationException($"Column '{column.Name}' is a Vector<Single>; a getter of {typeof(TValue).Name} was requested.");
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            Span<float> output = outputs();
            var editor = VBufferEditor.Create(ref value, output.Length);
            output.CopyTo(editor.Values);
            value = editor.Commit();
        };
        return (ValueGetter<TValue>)(Delegate)getter;
    }
}
