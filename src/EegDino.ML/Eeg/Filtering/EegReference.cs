namespace EegDino.ML.Eeg;

/// <summary>
/// How <see cref="EegFilterOptions.Reference"/> re-references a recording before the montage selects
/// its channels. Every choice subtracts one reference signal, sample by sample, from every selected
/// channel, as MNE's <c>raw.set_eeg_reference</c> does with <c>projection=False</c>.
/// </summary>
public enum EegReference
{
    /// <summary>Keep the reference the recording was made with (default).</summary>
    AsRecorded,

    /// <summary>
    /// Common average of the recording's EEG signals, as MNE's <c>set_eeg_reference('average')</c> on
    /// a recording read with <c>read_raw_edf(..., infer_types=True)</c>: a signal is EEG unless its
    /// label's first word names another type (<c>ECG ECG</c>, <c>EOG left</c>, <c>EMG</c>, <c>RESP</c>,
    /// <c>TEMP</c>, <c>MISC</c>, <c>BIO</c>, <c>SAO2</c>, <c>SEEG</c>, <c>ECOG</c>, <c>DBS</c>) or it is a
    /// trigger channel (<c>Status</c>, <c>Trigger</c>); signals whose unit is not a voltage are left
    /// out too. All of them, not only the montage's, form the average.
    /// </summary>
    Average,

    /// <summary>
    /// Common average of only the electrodes the montage selects (the 19 of the 10-20 system by
    /// default), as MNE's <c>raw.pick(montage).set_eeg_reference('average')</c>. The usual choice for
    /// corpora whose files carry non-EEG signals under EEG labels (TUH's <c>EEG EKG1-REF</c>).
    /// </summary>
    MontageAverage,

    /// <summary>
    /// Linked ears (or mastoids): the mean of <c>A1</c> and <c>A2</c>, else of <c>M1</c> and <c>M2</c>,
    /// as MNE's <c>set_eeg_reference(['A1', 'A2'])</c>. A recording without such a pair is an
    /// <see cref="EegFilterException"/>; a bipolar signal such as <c>A2-A1</c> is not an ear electrode.
    /// </summary>
    LinkedEars,
}
