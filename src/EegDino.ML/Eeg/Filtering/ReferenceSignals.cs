namespace EegDino.ML.Eeg;

/// <summary>Which signals of a recording form the reference of an <see cref="EegReference"/>.</summary>
internal static class ReferenceSignals
{
    /// <summary>MNE's <c>read_raw_edf</c> channel types (<c>CH_TYPE_MAPPING</c>) that are not scalp EEG.</summary>
    private static readonly HashSet<string> OtherTypes = new(StringComparer.Ordinal)
    {
        "SEEG", "ECOG", "DBS", "EOG", "ECG", "EMG", "BIO", "RESP", "TEMP", "MISC", "SAO2",
    };

    private static readonly (string Left, string Right)[] EarPairs = [("A1", "A2"), ("M1", "M2")];
    private static readonly HashSet<string> EarNames = new(StringComparer.Ordinal) { "A1", "A2", "M1", "M2" };
    private static readonly string[] MonopolarSuffixes = ["REF", "LE", "RE", "AR", "AVG", "AV"];

    /// <summary>
    /// The signal indexes whose mean is the reference: none for <see cref="EegReference.AsRecorded"/>.
    /// All of them have a voltage unit and the mapped channels' samples per record.
    /// </summary>
    /// <param name="signals">The recording's signals.</param>
    /// <param name="mapping">Its montage mapping.</param>
    /// <param name="reference">The reference.</param>
    /// <param name="context">The recording, for messages.</param>
    /// <exception cref="EegFilterException">The recording lacks what the reference needs.</exception>
    public static int[] Select(IReadOnlyList<EdfSignal> signals, MontageMapping mapping, EegReference reference, string context)
    {
        int samplesPerRecord = signals[mapping.SourceIndexes[0]].SamplesPerRecord;
        switch (reference)
        {
            case EegReference.AsRecorded:
                return [];
            case EegReference.MontageAverage:
                return mapping.SourceIndexes.ToArray();
            case EegReference.Average:
            {
                var eeg = signals.Where(s => !s.IsAnnotation && IsEeg(s.Label) && s.MicrovoltsPerUnit is not null).ToList();
                var otherRate = eeg.Where(s => s.SamplesPerRecord != samplesPerRecord).ToList();
                if (otherRate.Count > 0)
                    throw new EegFilterException(
                        $"{context}: the average reference needs every EEG signal at one rate, but {string.Join(", ", otherRate.Select(s => $"'{s.Label}' ({s.SamplesPerSecond} Hz)"))} differ from the montage's {signals[mapping.SourceIndexes[0]].SamplesPerSecond} Hz. Use the montage average.");
                return eeg.Select(s => s.Index).ToArray();
            }
            case EegReference.LinkedEars:
            {
                foreach (var (left, right) in EarPairs)
                {
                    EdfSignal? l = FindEar(signals, left), r = FindEar(signals, right);
                    if (l is null || r is null) continue;
                    foreach (EdfSignal ear in new[] { l, r })
                    {
                        if (ear.MicrovoltsPerUnit is null)
                            throw new EegFilterException($"{context}: ear electrode '{ear.Label}' has unit '{ear.PhysicalDimension}', which is not a voltage.");
                        if (ear.SamplesPerRecord != samplesPerRecord)
                            throw new EegFilterException(
                                $"{context}: ear electrode '{ear.Label}' is sampled at {ear.SamplesPerSecond} Hz, the montage's channels at {signals[mapping.SourceIndexes[0]].SamplesPerSecond} Hz.");
                    }
                    return [l.Index, r.Index];
                }
                var found = EarNames.Select(n => FindEar(signals, n)).Where(s => s is not null).Select(s => $"'{s!.Label}'").ToList();
                throw new EegFilterException(
                    $"{context}: the linked-ears reference needs A1 and A2 (or M1 and M2); the recording has {(found.Count == 0 ? "none of them" : "only " + string.Join(", ", found))}. Its signals: {string.Join(", ", signals.Where(s => !s.IsAnnotation).Select(s => s.Label))}.");
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(reference), $"reference is {reference}, which is not an EegReference value.");
        }
    }

    /// <summary>
    /// MNE's <c>infer_types=True</c> rule: a label whose first space-separated word names another
    /// channel type (<c>ECG ECG</c>) is not EEG, nor is a trigger channel (<c>Status</c>, <c>Trigger</c>);
    /// everything else is (<c>EEG Fp1</c>, <c>Fp1.</c>, <c>A2-A1</c>).
    /// </summary>
    internal static bool IsEeg(string label)
    {
        string s = label.Trim();
        if (s.Equals("STATUS", StringComparison.OrdinalIgnoreCase) || s.Equals("TRIGGER", StringComparison.OrdinalIgnoreCase)) return false;
        int space = s.IndexOf(' ', StringComparison.Ordinal);
        return space <= 0 || !OtherTypes.Contains(s[..space].ToUpperInvariant());
    }

    /// <summary>
    /// The signal that is ear electrode <paramref name="name"/> referenced to the recording's own
    /// reference (<c>A1</c>, <c>EEG A1-REF</c>, <c>A1.</c>), not a derivation between two electrodes
    /// (<c>A2-A1</c>).
    /// </summary>
    internal static EdfSignal? FindEar(IReadOnlyList<EdfSignal> signals, string name) =>
        signals.FirstOrDefault(s => !s.IsAnnotation && IsMonopolar(s.Label, name));

    private static bool IsMonopolar(string label, string name)
    {
        if (MontageMapper.NormalizeLabel(label) != name) return false;
        string s = label.Trim().Trim('.').Trim().ToUpperInvariant();
        foreach (string prefix in (string[])["EEG", "POL"])
        {
            if (s.Length > prefix.Length && s.StartsWith(prefix, StringComparison.Ordinal) && s[prefix.Length] is ' ' or '-' or '_' or ':')
            {
                s = s[(prefix.Length + 1)..].TrimStart();
                break;
            }
        }
        s = s.Replace(" ", "", StringComparison.Ordinal);
        if (s == name || !s.StartsWith(name, StringComparison.Ordinal)) return s == name;
        // NormalizeLabel removed a reference suffix: an ear electrode is monopolar unless that suffix is the other ear.
        string suffix = s[name.Length..].TrimStart('-', '_', ' ').Trim();
        return MonopolarSuffixes.Contains(suffix);
    }
}
