namespace EegDino.ML.Eeg;

/// <summary>
/// An EDF, EDF+, BDF or BDF+ file cannot be read: a header field holds a value that is not valid
/// (the message names the field, the signal if any, the value found and what was expected), the
/// file is shorter or longer than its header says, or an EDF+ annotation list is malformed.
/// </summary>
public sealed class EdfFormatException : EegDinoException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file, the field and the value.</param>
    public EdfFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with the error that caused it.</summary>
    /// <param name="message">What is wrong, naming the file, the field and the value.</param>
    /// <param name="innerException">The underlying error.</param>
    public EdfFormatException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// The channels of a recording do not fit the requested montage: required 10-20 channels are
/// missing, two labels map to the same slot, or a user mapping names a label the file lacks.
/// </summary>
public sealed class EegMontageException : EegDinoException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, listing the channels concerned.</param>
    public EegMontageException(string message) : base(message) { }
}
