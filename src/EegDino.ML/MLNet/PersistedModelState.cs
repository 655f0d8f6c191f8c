using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;

namespace EegDino.ML.MLNet;

/// <summary>
/// What an EegDino.ML transformer stores in its folder of an ML.NET model zip: string properties,
/// the weights as safetensors bytes, and, once loaded, the persistence version it was written with.
/// The ML.NET side (headers, entries) is in <see cref="Internals.ModelZipWriter"/> and
/// <see cref="Internals.ModelZipReader"/>; each transformer's file documents its binary format and
/// version history, in the versions of its <see cref="Internals.ModelZipFormat"/> (the only version
/// scheme).
/// </summary>
/// <remarks>
/// The main stream, after ML.NET's header, is the same for every component and version:
/// <c>int32</c> <see cref="LayoutMarker"/>, <c>string</c> the writing library's version
/// (informational), <c>int32 n</c>, then <c>n</c> pairs <c>(string key, string value)</c>, invariant
/// culture, sorted by key (<see cref="BinaryWriter"/> strings). Keys are only ever added: a reader
/// takes the keys it knows, defaults the ones an older writer did not write and ignores the rest, so
/// an addition keeps the format readable by older readers. From version
/// <see cref="ChecksumSinceVersion"/> the key <see cref="WeightsSha256Key"/> holds the SHA-256 of the
/// weights entry, checked at load.
/// </remarks>
internal sealed class PersistedModelState
{
    /// <summary>
    /// The first int32 of the main stream. Up to version 0x00010001 it was a second version number
    /// ("state format 1", refused by those readers when not 1); versions now live only in ML.NET's
    /// header, and this stays 1 so that every reader since EegDino.ML 0.1.0 can parse the layout.
    /// </summary>
    public const int LayoutMarker = 1;

    /// <summary>Property with the lower-case hex SHA-256 of the weights entry (from <see cref="ChecksumSinceVersion"/>).</summary>
    public const string WeightsSha256Key = "WeightsSha256";

    /// <summary>The first persistence version whose zips record <see cref="WeightsSha256Key"/> (both transformers).</summary>
    public const uint ChecksumSinceVersion = 0x00010002;

    // More properties than any component writes by far: a larger count is a corrupt stream.
    private const int MaxProperties = 10_000;

    /// <summary>A state to save (written with the current version).</summary>
    public PersistedModelState(IReadOnlyDictionary<string, string> properties, byte[] weights)
        : this(properties, weights, versionWritten: 0, CurrentLibraryVersion, weightsEntryName: "")
    {
        if (properties.ContainsKey(WeightsSha256Key)) throw new ArgumentException($"'{WeightsSha256Key}' is written by the persistence itself.", nameof(properties));
    }

    private PersistedModelState(IReadOnlyDictionary<string, string> properties, byte[] weights, uint versionWritten, string libraryVersion, string weightsEntryName)
    {
        WeightsEntryName = weightsEntryName;
        Properties = properties;
        Weights = weights;
        VersionWritten = versionWritten;
        LibraryVersion = libraryVersion;
    }

    /// <summary>The persistence version of a loaded state (0 for one made to be saved).</summary>
    public uint VersionWritten { get; }

    /// <summary>The version of the library that wrote the state (informational).</summary>
    public string LibraryVersion { get; }

    /// <summary>The component's properties (without <see cref="WeightsSha256Key"/>).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }

    /// <summary>The network weights as safetensors (configuration and input contract in the metadata).</summary>
    public byte[] Weights { get; }

    /// <summary>The weights entry's full name in the zip of a loaded state (e.g. <c>TransformerChain/EegDinoWeights.safetensors</c>), for messages; empty before saving.</summary>
    public string WeightsEntryName { get; }

    public static string CurrentLibraryVersion =>
        typeof(PersistedModelState).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(PersistedModelState).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Writes the main stream (layout in the class remarks), with the checksum of <see cref="Weights"/>.</summary>
    public void WriteMain(BinaryWriter writer)
    {
        var properties = new SortedDictionary<string, string>(Properties.ToDictionary(), StringComparer.Ordinal)
        {
            [WeightsSha256Key] = Sha256(Weights),
        };
        writer.Write(LayoutMarker);
        writer.Write(LibraryVersion);
        writer.Write(properties.Count);
        foreach (var (key, value) in properties)
        {
            writer.Write(key);
            writer.Write(value);
        }
    }

    /// <summary>Reads a main stream written by <see cref="WriteMain"/> (any version).</summary>
    /// <param name="reader">The component's main stream, after ML.NET's header.</param>
    /// <param name="streamName">The stream's name in the zip, for messages.</param>
    public static (string LibraryVersion, Dictionary<string, string> Properties) ReadMain(BinaryReader reader, string streamName)
    {
        try
        {
            int marker = reader.ReadInt32();
            if (marker != LayoutMarker)
                throw new EegDinoModelFormatException($"The model zip stream '{streamName}' starts with {marker}; {LayoutMarker} was expected (the stream is damaged, or was not written by EegDino.ML).");
            string libraryVersion = reader.ReadString();
            int count = reader.ReadInt32();
            if (count < 0 || count > MaxProperties)
                throw new EegDinoModelFormatException($"The model zip stream '{streamName}' lists {count} properties (0 to {MaxProperties} expected); the stream is damaged.");
            var properties = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (int i = 0; i < count; i++) properties[reader.ReadString()] = reader.ReadString();
            return (libraryVersion, properties);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            // A damaged string length or a short stream.
            throw new EegDinoModelFormatException($"The model zip stream '{streamName}' cannot be read ({e.Message}); the stream is damaged.", e);
        }
    }

    /// <summary>
    /// A loaded state: checks the weights against the checksum the zip records (required from
    /// <see cref="ChecksumSinceVersion"/>; zips written before have none and load unchecked).
    /// </summary>
    /// <param name="properties">As read by <see cref="ReadMain"/>.</param>
    /// <param name="weights">The weights entry's bytes.</param>
    /// <param name="versionWritten">The persistence version the zip was written with.</param>
    /// <param name="libraryVersion">As read by <see cref="ReadMain"/>.</param>
    /// <param name="weightsEntryName">The weights entry's name in the zip, for messages.</param>
    /// <exception cref="EegDinoModelFormatException">The checksum is missing where required, malformed or different.</exception>
    public static PersistedModelState Loaded(Dictionary<string, string> properties, byte[] weights, uint versionWritten,
        string libraryVersion, string weightsEntryName)
    {
        if (properties.Remove(WeightsSha256Key, out string? recorded))
        {
            string actual = Sha256(weights);
            if (!string.Equals(recorded, actual, StringComparison.OrdinalIgnoreCase))
            {
                throw new EegDinoModelFormatException(
                    $"The model zip entry '{weightsEntryName}' is corrupt: its SHA-256 is {actual}, but the model recorded {recorded} when it was saved. " +
                    "The file was damaged after it was saved; use an intact copy.");
            }
        }
        else if (versionWritten >= ChecksumSinceVersion)
        {
            throw new EegDinoModelFormatException(
                $"The model zip lacks the SHA-256 of its entry '{weightsEntryName}' ({WeightsSha256Key}), which every model saved with persistence version {Internals.ModelZipFormat.Text(ChecksumSinceVersion)} or later records " +
                $"(this one: {Internals.ModelZipFormat.Text(versionWritten)}); the model's main stream is damaged.");
        }
        return new PersistedModelState(properties, weights, versionWritten, libraryVersion, weightsEntryName);
    }

    public string GetString(string key, string? defaultValue = null) =>
        Properties.TryGetValue(key, out string? value) ? value
        : defaultValue ?? throw Missing(key);

    public int GetInt32(string key, int? defaultValue = null)
    {
        if (!Properties.TryGetValue(key, out string? text)) return defaultValue ?? throw Missing(key);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value : throw new EegDinoModelFormatException($"The saved model's property '{key}' is '{text}'; a whole number was expected.");
    }

    public float GetSingle(string key, float? defaultValue = null)
    {
        if (!Properties.TryGetValue(key, out string? text)) return defaultValue ?? throw Missing(key);
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

    private EegDinoModelFormatException Missing(string key) =>
        new($"The saved model lacks the property '{key}' (persistence version {Internals.ModelZipFormat.Text(VersionWritten)}, written by EegDino.ML {LibraryVersion}).");
}
