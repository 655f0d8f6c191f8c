using Microsoft.ML;

namespace EegDino.ML.MLNet.Internals;

/// <summary>Saves a <see cref="PersistedModelState"/> through ML.NET's save context (the save half of the persistence).</summary>
internal static class ModelZipWriter
{
    /// <summary>Zip entry (inside the component's folder) holding the weights as safetensors.</summary>
    public const string WeightsEntryName = "EegDinoWeights.safetensors";

    /// <summary>Writes ML.NET's header for <paramref name="format"/>, the main stream and the weights entry.</summary>
    public static void Save(ModelSaveContext ctx, ModelZipFormat format, PersistedModelState state)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(format.ToVersionInfo());
        state.WriteMain(ctx.Writer);
        ctx.SaveBinaryStream(WeightsEntryName, writer =>
        {
            writer.Flush();
            writer.Write(state.Weights);
        });
    }

    /// <summary>The full name of the weights entry of the component saved in <paramref name="directory"/>.</summary>
    public static string EntryName(string? directory, string entry) =>
        string.IsNullOrEmpty(directory) ? entry : directory.TrimEnd('/', '\\') + "/" + entry;
}
