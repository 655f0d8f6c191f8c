using EegDino.ML.Model;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>
/// Reads one ML.NET row's signal for the network: the length the schema promised, densified, and
/// free of NaN and infinity, with errors that name the data view row, the column, the channel and
/// the sample (the runtime checks again per batch, but only a row reader knows the row's position).
/// Used by the embedding transform, the classifier's scoring and the trainer.
/// </summary>
internal static class SignalRows
{
    /// <summary>Copies <paramref name="signal"/> densely into <paramref name="destination"/> (whose length is the expected one).</summary>
    /// <exception cref="EegDinoException">Wrong length, or a NaN or infinite sample.</exception>
    public static void Copy(in VBuffer<float> signal, Span<float> destination, int samplesPerChannel, string columnName, long rowPosition, string data = "")
    {
        string where = data.Length == 0 ? $"Row {rowPosition} of column '{columnName}'" : $"Row {rowPosition} of the {data} data's column '{columnName}'";
        if (signal.Length != destination.Length)
            throw new EegDinoException($"{where} holds {signal.Length} values; the schema promised {destination.Length}.");
        ReadOnlySpan<float> values = signal.GetValues();
        if (signal.IsDense)
        {
            values.CopyTo(destination);
        }
        else
        {
            destination.Clear();
            ReadOnlySpan<int> indices = signal.GetIndices();
            for (int i = 0; i < indices.Length; i++) destination[indices[i]] = values[i];
        }
        int bad = EegDinoInput.IndexOfNonFinite(destination);
        if (bad >= 0)
        {
            throw new EegDinoException(
                $"{where} holds {destination[bad]} at channel {bad / samplesPerChannel}, sample {bad % samplesPerChannel}; EEG-DINO needs finite values. " +
                "Interpolate or drop such rows first (e.g. mlContext.Data.FilterRowsByMissingValues for NaN).");
        }
    }
}
