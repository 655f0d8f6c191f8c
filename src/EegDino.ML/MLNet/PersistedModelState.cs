using System.Globalization;
using System.Reflection;

namespace EegDino.ML.MLNet;

/// <summary>
/// The versioned state an EegDino.ML component stores in an ML.NET model zip, independent of
/// ML.NET's internal persistence API (which <see cref="Internals.ModelZip"/> wraps).
/// </summary>
/// <remarks>
/// Layout of the component's main stream (little-endian, <see cref="BinaryWriter"/> strings):
/// <c>int32 FormatVersion</c>, <c>string LibraryVersion</c> (informational), <c>int32 n</c>, then
/// <c>n</c> pairs <c>(string key, string value)</c> in invariant culture. The encoder weights go in
/// a separate zip entry as safetensors (configuration in its metadata). Keys are only ever added:
/// a reader takes the keys it knows, defaults the ones an older writer did not write, and ignores
/// the rest, so models saved by older library versions keep loading. A breaking change bumps
/// <see cref="CurrentFormatVersion"/> and keeps a reader for every older version.
/// To reuse for another component (e.g. the classifier trainer): build a state with its own keys,
/// call <see cref="Internals.ModelZip.Save"/> with its own <see cref="Internals.ModelZipFormat"/>, and
/// declare a second loader next to <c>EmbeddingTransformerLoader</c> in <c>MLNetInternals.cs</c>.
/// </remarks>
internal sealed class PersistedModelState
{
    /// <summary>The version of the layout above that this library writes.</summary>
    public const int CurrentFormatVersion = 1;

    public PersistedModelState(IReadOnlyDictionary<string, string> properties, byte[] weights,
        int formatVersion = CurrentFormatVersion, string? libraryVersion = null)
    {
        Properties = properties;
        Weights = weights;
        FormatVersion = formatVersion;
        LibraryVersion = libraryVersion ?? CurrentLibraryVersion;
    }

    public int FormatVersion { get; }
    public string LibraryVersion { get; }
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>The network weights as safetensors (configuration and input contract in the metadata).</summary>
    public byte[] Weights { get; }

    public static string CurrentLibraryVersion =>
        typeof(PersistedModelState).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(PersistedModelState).Assembly.GetName().Version?.ToString() ?? "unknown";

    public void WriteMain(BinaryWriter writer)
    {
        writer.Write(FormatVersion);
        writer.Write(LibraryVersion);
        writer.Write(Properties.Count);
        foreach (var (key, value) in Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.Write(key);
            writer.Write(value);
        }
    }

    public static (int FormatVersion, string LibraryVersion, Dictionary<string, string> Properties) ReadMain(BinaryReader reader)
    {
        int formatVersion = reader.ReadInt32();
        if (formatVersion < 1 || formatVersion > CurrentFormatVersion)
        {
            throw new EegDinoModelFormatException(
                $"The model was saved with EegDino.ML state format {formatVersion}; this library reads formats 1 to {CurrentFormatVersion}. Update EegDino.ML.");
        }
        string libraryVersion = reader.ReadString();
        int count = reader.ReadInt32();
        if (count < 0 || count > 10_000) throw new EegDinoModelFormatException($"The model state lists {count} properties; the data is corrupt.");
        var properties = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++) properties[reader.ReadString()] = reader.ReadString();
        return (formatVersion, libraryVersion, properties);
    }

    public string GetString(string key, string? defaultValue = null) =>
        Properties.TryGetValue(key, out string? value) ? value
        : defaultValue ?? throw new EegDinoModelFormatException($"The saved model lacks the property '{key}' (format {FormatVersion}, written by EegDino.ML {LibraryVersion}).");

    public int GetInt32(string key, int? defaultValue = null)
    {
        if (!Properties.TryGetValue(key, out string? text))
        {
            return defaultValue ?? throw new EegDinoModelFormatException($"The saved model lacks the property '{key}' (format {FormatVersion}, written by EegDino.ML {LibraryVersion}).");
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value : throw new EegDinoModelFormatException($"The saved model's property '{key}' is '{text}'; a whole number was expected.");
    }

    public float GetSingle(string key, float? defaultValue = null)
    {
        if (!Properties.TryGetValue(key, out string? text))
        {
            return defaultValue ?? throw new EegDinoModelFormatException($"The saved model lacks the property '{key}' (format {FormatVersion}, written by EegDino.ML {LibraryVersion}).");
        }
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
            ? value : throw new EegDinoModelFormatException($"The saved model's property '{key}' is '{text}'; a number was expected.");
    }

    public TEnum GetEnum<TEnum>(string key, TEnum? defaultValue = null) where TEnum : struct, Enum
    {
        string text = GetString(key, defaultValue?.ToString());
        return Enum.TryParse(text, ignoreCase: false, out TEnum value) && Enum.IsDefined(value)
            ? value : throw new EegDinoModelFormatException($"The saved model's property '{key}' is '{text}'; one of {string.Join(", ", Enum.GetNames<TEnum>())} was expected.");
    }

    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);
}
