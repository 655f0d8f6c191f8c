using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet;

/// <summary>The schema rules of the embedding transform, with the messages users see.</summary>
internal static class EmbeddingSchema
{
    /// <summary>
    /// Finds the signal column and returns its samples per channel, or throws
    /// <see cref="ArgumentOutOfRangeException"/> naming the column, the expected and the actual type.
    /// </summary>
    public static (int ColumnIndex, int SamplesPerChannel) CheckInput(DataViewSchema schema, string columnName, int numberOfChannels)
    {
        DataViewSchema.Column? column = schema.GetColumnOrNull(columnName);
        if (column is null)
        {
            string present = string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"));
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Input column '{columnName}' is not in the data (columns found: {present}). The EEG-DINO embedding needs a Vector<Single> of numberOfChannels x samples.");
        }
        DataViewType type = column.Value.Type;
        if (type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Input column '{columnName}' must be a Vector<Single> of known size (the channel-major signal, numberOfChannels x samples); found {type}.");
        }
        if (!vector.IsKnownSize)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Input column '{columnName}' must be a Vector<Single> of known size (numberOfChannels x samples); found a vector of variable size. " +
                "Declare the size when loading, e.g. [VectorType(N)] on the input class or TextLoader.Column with a range.");
        }
        int size = vector.Size;
        if (size % numberOfChannels != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Input column '{columnName}' has {size} values per row, which is not a multiple of numberOfChannels ({numberOfChannels}); " +
                "a row must hold numberOfChannels x samples values, channel-major.");
        }
        return (column.Value.Index, size / numberOfChannels);
    }

    /// <summary>The input columns followed by the output column (hiding an input column of the same name).</summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, string outputColumnName, VectorDataViewType outputType)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumn(outputColumnName, outputType);
        return builder.ToSchema();
    }
}
