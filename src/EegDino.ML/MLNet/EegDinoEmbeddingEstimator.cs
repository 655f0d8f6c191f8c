using EegDino.ML.Model;
using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML;

/// <summary>
/// Embeds EEG windows with the EEG-DINO encoder: reads a signal column and adds a fixed-size
/// <c>Vector&lt;Single&gt;</c> embedding column that any ML.NET trainer accepts. Create it with
/// <see cref="EegDinoCatalog.EegDinoEmbed(TransformsCatalog, string, string, string, int)"/>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Input and output columns
/// | Column | Type | Content |
/// | -- | -- | -- |
/// | input (`InputColumnName`) | known-size vector of `Single`, `C * T` values | channel-major signal (channel 0's `T` samples, then channel 1's...), microvolts, 200 Hz; `C` = `NumberOfChannels` (1 to 19), any `T` (right-padded to whole 200-sample patches) |
/// | output (`OutputColumnName`) | known-size vector of `Single` | `PooledMean` or `GlobalToken`: `D` values; `Tokens`: `(G + C * P) * D` values with dimensions `[G + C * P, D]` |
///
/// ### Characteristics
/// | | |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No (`Fit` checks the schema and loads the weights) |
/// | Input column data type | known-size vector of `Single` |
/// | Output column data type | known-size vector of `Single` |
/// | Exportable to ONNX | No |
/// | Saved in the ML.NET model zip | Yes, weights included (see docs/mlnet.md) |
///
/// Rows with NaN or infinite samples raise an `EegDinoException` naming the row, the channel and the
/// sample when the embedding is read. Iterative trainers read their input once per pass: put
/// `AppendCacheCheckpoint(mlContext)` after this estimator so that each row is encoded only once.
/// ]]></format>
/// </remarks>
public sealed class EegDinoEmbeddingEstimator : IEstimator<EegDinoEmbeddingTransformer>
{
    private readonly EegDinoEmbeddingOptions _options;

    internal EegDinoEmbeddingEstimator(EegDinoEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        Check(_options);
    }

    /// <summary>Checks the input column and returns the output shape (the input columns plus the embedding column).</summary>
    /// <param name="inputSchema">The shape of the data the estimator will see.</param>
    /// <returns>The shape of the transformed data.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The signal column is missing, not a vector of Single, or of variable size.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string name = _options.InputColumnName;
        SchemaShape.Column? found = null;
        foreach (var candidate in inputSchema)
        {
            if (candidate.Name == name) found = candidate;
        }
        if (found is not { } column)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Input column '{name}' is not in the data (columns found: {string.Join(", ", inputSchema.Select(c => $"'{c.Name}'"))}). " +
                "The EEG-DINO embedding needs a Vector<Single> of numberOfChannels x samples.");
        }
        if (column.Kind == SchemaShape.Column.VectorKind.Scalar || column.ItemType != NumberDataViewType.Single || column.IsKey)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Input column '{name}' must be a Vector<Single> of known size (the channel-major signal, numberOfChannels x samples); found {Describe(column)}.");
        }
        if (column.Kind == SchemaShape.Column.VectorKind.VariableVector)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Input column '{name}' must be a Vector<Single> of known size (numberOfChannels x samples); found a vector of variable size. " +
                "Declare the size when loading, e.g. [VectorType(N)] on the input class or TextLoader.Column with a range.");
        }
        return SchemaShapes.WithSingleVector(inputSchema, _options.OutputColumnName);
    }

    /// <summary>Checks the input schema and loads the weights; the data rows are not read.</summary>
    /// <param name="input">The data (only its schema is used).</param>
    /// <returns>The transformer, which owns the loaded network: dispose it when done.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The signal column does not fit (see the message).</exception>
    /// <exception cref="EegDinoException">The model cannot be read or does not fit the network.</exception>
    public EegDinoEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (_, samplesPerChannel) = EmbeddingSchema.CheckInput(input.Schema, _options.InputColumnName, _options.NumberOfChannels);
        RuntimeLease lease = EegDinoRuntime.Load(_options.ModelPath, _options.Model, requireHead: false);
        try
        {
            _options.Model.CheckChannels(_options.NumberOfChannels, lease.Runtime.Config, nameof(_options.NumberOfChannels));
            var transformer = new EegDinoEmbeddingTransformer(lease, _options.InputColumnName, _options.OutputColumnName,
                _options.NumberOfChannels, _options.OutputKind, _options.BatchSize, samplesPerChannel);
            transformer.GetOutputSchema(input.Schema);
            return transformer;
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}";
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => item,
            SchemaShape.Column.VectorKind.Vector => $"Vector<{item}>",
            _ => $"VarVector<{item}>",
        };
    }

    private static void Check(EegDinoEmbeddingOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.InputColumnName))
            throw new ArgumentException("InputColumnName is empty; name the signal column.", nameof(options));
        if (string.IsNullOrWhiteSpace(options.OutputColumnName))
            throw new ArgumentException("OutputColumnName is empty; name the embedding column.", nameof(options));
        if (options.NumberOfChannels < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumberOfChannels, $"NumberOfChannels is {options.NumberOfChannels}; at least 1 channel per row was expected.");
        options.Model.Validate();
        if (options.Model.Config is { } config) options.Model.CheckChannels(options.NumberOfChannels, config, nameof(options.NumberOfChannels));
        if (!Enum.IsDefined(options.OutputKind))
            throw new ArgumentOutOfRangeException(nameof(options), options.OutputKind, $"OutputKind is {options.OutputKind}; expected one of {string.Join(", ", Enum.GetNames<EegDinoEmbeddingKind>())}.");
        if (options.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, $"BatchSize is {options.BatchSize}; at least 1 row per forward pass is needed.");
    }
}
