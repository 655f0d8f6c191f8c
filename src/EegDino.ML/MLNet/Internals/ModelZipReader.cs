using Microsoft.ML;

namespace EegDino.ML.MLNet.Internals;

/// <summary>Loads a <see cref="PersistedModelState"/> through ML.NET's load context (the load half of the persistence).</summary>
internal static class ModelZipReader
{
    // The weights buffer is one array; a larger entry (e.g. a deflate bomb) is refused as it arrives.
    private const long MaxWeightsBytes = int.MaxValue - 64;

    /// <summary>
    /// Checks ML.NET's header against <paramref name="format"/> (with a message that says which side
    /// is too old), reads the main stream and the weights entry, and verifies the weights' checksum.
    /// </summary>
    /// <exception cref="EegDinoModelFormatException">The versions do not fit, or a stream or entry is missing, damaged or corrupt.</exception>
    public static PersistedModelState Load(ModelLoadContext ctx, ModelZipFormat format)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        uint written = ctx.Header.ModelVerWritten;
        uint readable = ctx.Header.ModelVerReadable;
        if (readable > format.VersionWritten)
        {
            throw new EegDinoModelFormatException(
                $"The model was saved by a newer EegDino.ML (persistence version {ModelZipFormat.Text(written)}, readable from {ModelZipFormat.Text(readable)}); " +
                $"this library reads up to {ModelZipFormat.Text(format.VersionWritten)}. Update EegDino.ML.");
        }
        if (written < format.OldestReadable)
        {
            throw new EegDinoModelFormatException(
                $"The model was saved with persistence version {ModelZipFormat.Text(written)}; this library reads {ModelZipFormat.Text(format.OldestReadable)} and later.");
        }
        ctx.CheckVersionInfo(format.ToVersionInfo());

        // "Model.key" is ML.NET's name for a component's main stream.
        string mainStream = ModelZipWriter.EntryName(ctx.Directory, "Model.key");
        var (libraryVersion, properties) = PersistedModelState.ReadMain(ctx.Reader, mainStream);
        string weightsEntry = ModelZipWriter.EntryName(ctx.Directory, ModelZipWriter.WeightsEntryName);
        byte[]? weights = null;
        bool found = ctx.TryLoadBinaryStream(ModelZipWriter.WeightsEntryName, reader => weights = ReadAll(reader.BaseStream, weightsEntry));
        if (!found || weights is null)
            throw new EegDinoModelFormatException($"The model zip lacks the entry '{weightsEntry}' with the EEG-DINO weights.");
        return PersistedModelState.Loaded(properties, weights, written, libraryVersion, weightsEntry);
    }

    private static byte[] ReadAll(Stream stream, string entryName)
    {
        try
        {
            using var copy = new MemoryStream();
            var chunk = new byte[1 << 16];
            int n;
            while ((n = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (copy.Length + n > MaxWeightsBytes)
                    throw new EegDinoModelFormatException($"The model zip entry '{entryName}' holds more than {MaxWeightsBytes} bytes, more than one weights buffer can hold.");
                copy.Write(chunk, 0, n);
            }
            return copy.ToArray();
        }
        catch (InvalidDataException e)
        {
            // The zip's deflate data is damaged.
            throw new EegDinoModelFormatException($"The model zip entry '{entryName}' is corrupt ({e.Message}); use an intact copy of the model.", e);
        }
    }
}
