namespace EegDino.ML.Eeg;

/// <summary>
/// <see cref="EegFilterOptions"/> cannot be applied to a recording: a frequency at or above its
/// Nyquist frequency, a pass band or stop band that MNE's rules cannot build at its sampling rate, a
/// filter longer than the recording, or a reference whose electrodes the recording lacks. The message
/// names the recording, its sampling rate and the value concerned.
/// </summary>
public sealed class EegFilterException : EegDinoException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the recording, its rate and the value.</param>
    public EegFilterException(string message) : base(message) { }
}
