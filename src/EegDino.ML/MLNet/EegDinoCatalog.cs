using Microsoft.ML;

namespace EegDino.ML;

/// <summary>
/// The public entry points of EegDino.ML for ML.NET: extension methods on <see cref="MLContext"/>'s
/// catalogs (<c>mlContext.Transforms.EegDinoEmbed(...)</c>, ...). Each entry has two overloads: one
/// with column names and defaults, one taking a sealed options class.
/// </summary>
public static partial class EegDinoCatalog
{
    /// <summary>
    /// Embeds EEG windows with EEG-DINO: reads <paramref name="inputColumnName"/>, a known-size
    /// <c>Vector&lt;Single&gt;</c> of <paramref name="numberOfChannels"/> x samples, channel-major, in
    /// microvolts at 200 Hz, and writes the mean of the patch tokens (a vector of <c>EmbeddingDim</c>
    /// values) to <paramref name="outputColumnName"/>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The embedding column to add.</param>
    /// <param name="inputColumnName">The signal column.</param>
    /// <param name="modelPath">A safetensors file, a braindecode folder or a released <c>.pt</c> checkpoint (student weights).</param>
    /// <param name="numberOfChannels">Channels per row, 1 to 19.</param>
    /// <returns>The estimator; see <see cref="EegDinoEmbeddingOptions"/> for the other settings and their defaults.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numberOfChannels"/> is not 1 to 19.</exception>
    public static EegDinoEmbeddingEstimator EegDinoEmbed(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
        string modelPath, int numberOfChannels = 19)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return new EegDinoEmbeddingEstimator(new EegDinoEmbeddingOptions
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            ModelPath = modelPath,
            NumberOfChannels = numberOfChannels,
        });
    }

    /// <summary>Embeds EEG windows with EEG-DINO, with every setting in <paramref name="options"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, model, channels, output kind, input scale, batch size, device... (copied).</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">An option is out of range; the message names it and its value.</exception>
    public static EegDinoEmbeddingEstimator EegDinoEmbed(this TransformsCatalog catalog, EegDinoEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ModelPath, "options.ModelPath");
        return new EegDinoEmbeddingEstimator(options);
    }
}
