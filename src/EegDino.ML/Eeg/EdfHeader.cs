namespace EegDino.ML.Eeg;

/// <summary>The flavour of a European Data Format file, from its version and reserved fields.</summary>
public enum EdfFileType
{
    /// <summary>Plain EDF (1992): 16-bit samples, no annotations, contiguous records.</summary>
    Edf,
    /// <summary>EDF+ continuous (<c>EDF+C</c>): 16-bit samples with an annotation signal.</summary>
    EdfPlusContinuous,
    /// <summary>EDF+ discontinuous (<c>EDF+D</c>): records carry their own onsets; gaps may exist.</summary>
    EdfPlusDiscontinuous,
    /// <summary>BioSemi BDF: 24-bit samples, no annotations.</summary>
    Bdf,
    /// <summary>BDF+ continuous (<c>BDF+C</c>): 24-bit samples with an annotation signal.</summary>
    BdfPlusContinuous,
    /// <summary>BDF+ discontinuous (<c>BDF+D</c>): 24-bit samples, records carry their own onsets.</summary>
    BdfPlusDiscontinuous,
}

/// <summary>
/// The fixed part of an EDF/BDF header (the first 256 bytes), parsed and validated. Text fields
/// are trimmed of their space padding.
/// </summary>
/// <param name="FileType">EDF, EDF+C, EDF+D, BDF, BDF+C or BDF+D.</param>
/// <param name="PatientId">Local patient identification (80 characters in the file).</param>
/// <param name="RecordingId">Local recording identification (80 characters in the file).</param>
/// <param name="StartDateTime">Start of the recording as written in the header (local clock time,
/// years 85-99 read as 1985-1999 and 00-84 as 2000-2084, as the EDF specification says).</param>
/// <param name="HeaderBytes">Size of the whole header: 256 x (number of signals + 1).</param>
/// <param name="NumberOfRecords">Number of data records.</param>
/// <param name="RecordDurationSeconds">Duration of one data record in seconds (0 for an
/// annotation-only EDF+ file).</param>
/// <param name="NumberOfSignals">Number of signals, including EDF+ annotation signals.</param>
public sealed record EdfHeader(
    EdfFileType FileType,
    string PatientId,
    string RecordingId,
    DateTime StartDateTime,
    int HeaderBytes,
    long NumberOfRecords,
    double RecordDurationSeconds,
    int NumberOfSignals)
{
    /// <summary>True for BDF and BDF+ (24-bit samples), false for EDF and EDF+ (16-bit samples).</summary>
    public bool Is24Bit => FileType is EdfFileType.Bdf or EdfFileType.BdfPlusContinuous or EdfFileType.BdfPlusDiscontinuous;

    /// <summary>True for EDF+ and BDF+ files, which may hold annotations and record onsets.</summary>
    public bool IsPlus => FileType is not (EdfFileType.Edf or EdfFileType.Bdf);

    /// <summary>True for EDF+D and BDF+D, whose records may be separated by gaps.</summary>
    public bool IsDiscontinuous => FileType is EdfFileType.EdfPlusDiscontinuous or EdfFileType.BdfPlusDiscontinuous;

    /// <summary>Stored duration: number of records x record duration, in seconds (gaps excluded).</summary>
    public double StoredDurationSeconds => NumberOfRecords * RecordDurationSeconds;
}

/// <summary>
/// One signal (channel) of an EDF/BDF file with its header fields and derived values.
/// </summary>
/// <param name="Index">Position of the signal in the file (0-based).</param>
/// <param name="Label">Label as written, trimmed (e.g. <c>Fp1.</c>, <c>EEG Fp1-REF</c>).</param>
/// <param name="TransducerType">Transducer type field, trimmed.</param>
/// <param name="PhysicalDimension">Physical dimension (unit) as written, trimmed (e.g. <c>uV</c>).</param>
/// <param name="PhysicalMinimum">Physical value of <paramref name="DigitalMinimum"/>.</param>
/// <param name="PhysicalMaximum">Physical value of <paramref name="DigitalMaximum"/>.</param>
/// <param name="DigitalMinimum">Smallest digital value.</param>
/// <param name="DigitalMaximum">Largest digital value.</param>
/// <param name="Prefiltering">Prefiltering field, trimmed (e.g. <c>HP:0.1Hz LP:75Hz</c>).</param>
/// <param name="SamplesPerRecord">Number of samples of this signal in each data record.</param>
/// <param name="SamplesPerSecond">Sampling rate: samples per record / record duration (0 when the
/// record duration is 0).</param>
/// <param name="IsAnnotation">True for an EDF+/BDF+ annotation signal (<c>EDF Annotations</c> /
/// <c>BDF Annotations</c>), whose bytes are text, not samples.</param>
/// <param name="MicrovoltsPerUnit">Factor from the physical unit to microvolts (1 for uV, 1000 for
/// mV, 1e6 for V, 0.001 for nV), or null when the unit is not a voltage.</param>
public sealed record EdfSignal(
    int Index,
    string Label,
    string TransducerType,
    string PhysicalDimension,
    double PhysicalMinimum,
    double PhysicalMaximum,
    int DigitalMinimum,
    int DigitalMaximum,
    string Prefiltering,
    int SamplesPerRecord,
    double SamplesPerSecond,
    bool IsAnnotation,
    double? MicrovoltsPerUnit)
{
    /// <summary>Physical units per digital step: (physical max - min) / (digital max - min).</summary>
    public double Gain => (PhysicalMaximum - PhysicalMinimum) / ((double)DigitalMaximum - DigitalMinimum);

    /// <summary>Physical value of digital 0: physical min - gain x digital min.</summary>
    public double Offset => PhysicalMinimum - Gain * DigitalMinimum;
}

/// <summary>An EDF+ annotation (time-stamped annotation list entry).</summary>
/// <param name="OnsetSeconds">Onset relative to the start of the recording, in seconds.</param>
/// <param name="DurationSeconds">Duration in seconds, or 0 when the file gives none.</param>
/// <param name="Text">The annotation text (UTF-8 decoded), e.g. <c>T0</c>.</param>
public sealed record EdfAnnotation(double OnsetSeconds, double DurationSeconds, string Text);

/// <summary>
/// A stretch of time with no data in an EDF+D/BDF+D file: the next record starts later than the
/// previous one ends. Samples are never invented for a gap.
/// </summary>
/// <param name="AfterRecord">Index of the last record before the gap.</param>
/// <param name="StartSeconds">End of record <paramref name="AfterRecord"/>, in recording time.</param>
/// <param name="DurationSeconds">Length of the gap in seconds.</param>
public sealed record EdfGap(long AfterRecord, double StartSeconds, double DurationSeconds);
