namespace EegDino.ML;

/// <summary>
/// Base class of every error EegDino.ML raises for bad models, bad files or bad input, so callers
/// can catch the library's failures in one place. Argument errors on public methods are
/// <see cref="ArgumentException"/>s as usual.
/// </summary>
public class EegDinoException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong, with the actual and the expected value.</param>
    public EegDinoException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    /// <param name="message">What is wrong, with the actual and the expected value.</param>
    /// <param name="innerException">The underlying error.</param>
    public EegDinoException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A model file or folder cannot be read: malformed or truncated safetensors or checkpoint data,
/// an unsupported dtype, or a configuration that is not valid.
/// </summary>
public sealed class EegDinoModelFormatException : EegDinoException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file, the field and the value.</param>
    public EegDinoModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with the error that caused it.</summary>
    /// <param name="message">What is wrong, naming the file, the field and the value.</param>
    /// <param name="innerException">The underlying error.</param>
    public EegDinoModelFormatException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// The weights do not fit the network: keys missing, unexpected or of the wrong shape. The message
/// lists every problem at once; the properties give them as data.
/// </summary>
public sealed class EegDinoWeightsMismatchException : EegDinoException
{
    /// <summary>Creates the exception from the lists of problems.</summary>
    /// <param name="missing">Keys the network needs that the weights lack.</param>
    /// <param name="unexpected">Keys the weights hold that the network does not have.</param>
    /// <param name="misShaped">Keys present in both with different shapes.</param>
    public EegDinoWeightsMismatchException(
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<(string Key, long[] Expected, long[] Actual)> misShaped)
        : base(Describe(missing, unexpected, misShaped))
    {
        Missing = missing;
        Unexpected = unexpected;
        MisShaped = misShaped;
    }

    /// <summary>Keys the network needs that the weights lack.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Keys the weights hold that the network does not have.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Keys present in both with different shapes: (key, expected shape, actual shape).</summary>
    public IReadOnlyList<(string Key, long[] Expected, long[] Actual)> MisShaped { get; }

    private static string Describe(
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<(string Key, long[] Expected, long[] Actual)> misShaped)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected)}");
        if (misShaped.Count > 0)
        {
            parts.Add($"mis-shaped {misShaped.Count}: " + string.Join(", ", misShaped.Select(m =>
                $"{m.Key} expected [{string.Join(", ", m.Expected)}] found [{string.Join(", ", m.Actual)}]")));
        }
        return "The weights do not match the EEG-DINO network: " + string.Join("; ", parts) + ".";
    }
}
