using System.Text;

namespace EegDino.ML.Eeg;

/// <summary>Options of <see cref="MontageMapper"/>.</summary>
public sealed class MontageOptions
{
    /// <summary>
    /// Electrodes of the model's channel slots, in slot order. Defaults to
    /// <see cref="MontageMapper.DefaultChannelOrder"/> (the TUEG order of TUH-based pretraining
    /// pipelines). Names are normalised like file labels, so <c>T7</c> and <c>T3</c> are the same slot.
    /// </summary>
    public IReadOnlyList<string> ChannelOrder { get; set; } = MontageMapper.DefaultChannelOrder;

    /// <summary>
    /// Explicit choices that override the automatic matching: electrode name of
    /// <see cref="ChannelOrder"/> -> signal label exactly as written in the file (compared
    /// case-insensitively, surrounding spaces ignored). A label the file lacks is an error.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ExplicitMapping { get; set; }

    /// <summary>
    /// False (default): a missing electrode is an <see cref="EegMontageException"/>. True: use only the
    /// electrodes present, in <see cref="ChannelOrder"/> order, filling the first slots (the model
    /// accepts fewer than 19 channels, but slot i then holds a different electrode than in training).
    /// </summary>
    public bool UseOnlyPresentChannels { get; set; }
}

/// <summary>
/// How a recording's signals fill the model's channel slots: which file signal feeds each slot,
/// which electrodes are missing and which signals are dropped.
/// </summary>
/// <param name="Channels">Electrode name of each output channel, in output order, as written in
/// <see cref="MontageOptions.ChannelOrder"/> (e.g. <c>Fp1</c>, <c>T3</c>).</param>
/// <param name="SourceIndexes">File signal index feeding each output channel.</param>
/// <param name="SourceLabels">File signal label feeding each output channel, as written.</param>
/// <param name="Missing">Electrodes of the channel order that no signal provides.</param>
/// <param name="Dropped">Labels of data signals (annotation signals excluded) that feed no channel.</param>
public sealed record MontageMapping(
    IReadOnlyList<string> Channels,
    IReadOnlyList<int> SourceIndexes,
    IReadOnlyList<string> SourceLabels,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Dropped)
{
    /// <summary>A multi-line report: one line per output channel, then the missing and dropped lists.</summary>
    /// <returns>The report text.</returns>
    public string Describe()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Channels.Count; i++)
            sb.AppendLine($"  slot {i,2}  {Channels[i],-4} <- signal {SourceIndexes[i] + 1,3} '{SourceLabels[i]}'");
        sb.AppendLine($"  missing ({Missing.Count}): {(Missing.Count == 0 ? "none" : string.Join(", ", Missing))}");
        sb.Append($"  dropped ({Dropped.Count}): {(Dropped.Count == 0 ? "none" : string.Join(", ", Dropped))}");
        return sb.ToString();
    }
}

/// <summary>
/// Maps the signals of a recording to the model's channel slots by electrode name. Labels are
/// normalised before matching: surrounding spaces, an <c>EEG</c> or <c>POL</c> prefix, reference
/// suffixes (<c>-REF</c>, <c>-LE</c>, <c>-RE</c>, <c>-AR</c>, <c>-AVG</c>, <c>-A1</c>, <c>-A2</c>,
/// <c>-M1</c>, <c>-M2</c>), padding dots and case are removed, and the modern 10-10 names of the
/// temporal electrodes are read as their 10-20 names (T7 = T3, T8 = T4, P7 = T5, P8 = T6).
/// </summary>
public sealed class MontageMapper
{
    /// <summary>
    /// The default slot order, the TUEG (TUH EEG corpus) order used by TUH-based pretraining
    /// pipelines such as CBraMod's: Fp1, Fp2, F3, F4, C3, C4, P3, P4, O1, O2, F7, F8, T3, T4, T5,
    /// T6, Fz, Cz, Pz. The released EEG-DINO pre-processing code, which would confirm the order the
    /// weights were trained with, is not available.
    /// </summary>
    public static IReadOnlyList<string> DefaultChannelOrder { get; } =
        ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8", "T3", "T4", "T5", "T6", "Fz", "Cz", "Pz"];

    private static readonly string[] Prefixes = ["EEG", "POL"];
    private static readonly string[] Suffixes = ["REF", "LE", "RE", "AR", "AVG", "AV", "A1", "A2", "M1", "M2"];
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["T7"] = "T3", ["T8"] = "T4", ["P7"] = "T5", ["P8"] = "T6",
    };

    private readonly MontageOptions _options;
    private readonly string[] _targets;

    /// <summary>Creates a mapper.</summary>
    /// <param name="options">Channel order, explicit mapping and missing-channel policy; null for the defaults.</param>
    public MontageMapper(MontageOptions? options = null)
    {
        _options = options ?? new MontageOptions();
        if (_options.ChannelOrder is null || _options.ChannelOrder.Count == 0)
            throw new ArgumentException("MontageOptions.ChannelOrder is empty; at least one electrode is needed.", nameof(options));
        _targets = _options.ChannelOrder.Select(NormalizeLabel).ToArray();
        var dup = _targets.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new ArgumentException($"MontageOptions.ChannelOrder names electrode '{dup.Key}' more than once (after normalisation).", nameof(options));
        if (_options.ExplicitMapping is not null)
        {
            foreach (string key in _options.ExplicitMapping.Keys)
                if (!_targets.Contains(NormalizeLabel(key)))
                    throw new ArgumentException($"MontageOptions.ExplicitMapping has key '{key}', which is not in ChannelOrder ({string.Join(", ", _options.ChannelOrder)}).", nameof(options));
        }
    }

    /// <summary>
    /// Normalises a signal label to an electrode name: <c>EEG Fp1-REF</c> -> <c>FP1</c>, <c>Fp1.</c>
    /// -> <c>FP1</c>, <c>T7</c> -> <c>T3</c>.
    /// </summary>
    /// <param name="label">A label as written in a file.</param>
    /// <returns>The upper-case electrode name.</returns>
    public static string NormalizeLabel(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string s = label.Trim().Trim('.').Trim().ToUpperInvariant();
        foreach (string p in Prefixes)
        {
            if (s.Length > p.Length && s.StartsWith(p, StringComparison.Ordinal) && s[p.Length] is ' ' or '-' or '_' or ':')
            {
                s = s[(p.Length + 1)..].TrimStart();
                break;
            }
        }
        foreach (string suffix in Suffixes)
        {
            if (s.Length > suffix.Length + 1 && s.EndsWith(suffix, StringComparison.Ordinal) && s[^(suffix.Length + 1)] is '-' or '_' or ' ')
            {
                s = s[..^(suffix.Length + 1)];
                break;
            }
        }
        s = s.Replace(" ", "", StringComparison.Ordinal).Trim('.');
        return Aliases.TryGetValue(s, out string? alias) ? alias : s;
    }

    /// <summary>Maps the data signals of a file (annotation signals are ignored).</summary>
    /// <param name="signals">The file's signals, e.g. <see cref="EdfReader.Signals"/>.</param>
    /// <returns>The mapping with missing and dropped channels.</returns>
    /// <exception cref="EegMontageException">An electrode is missing (unless
    /// <see cref="MontageOptions.UseOnlyPresentChannels"/>), none is present, two signals claim the same
    /// electrode, or an explicit mapping names a label the file lacks.</exception>
    public MontageMapping Map(IReadOnlyList<EdfSignal> signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        var data = signals.Where(s => !s.IsAnnotation).ToList();
        var byTarget = new Dictionary<string, EdfSignal>(StringComparer.Ordinal);
        var explicitTargets = new HashSet<string>(StringComparer.Ordinal);
        if (_options.ExplicitMapping is not null)
        {
            foreach ((string key, string label) in _options.ExplicitMapping)
            {
                EdfSignal sig = data.FirstOrDefault(s => string.Equals(s.Label.Trim(), label.Trim(), StringComparison.OrdinalIgnoreCase))
                    ?? throw new EegMontageException(
                        $"The explicit mapping sends '{key}' to signal '{label}', which the recording does not have. Its signals: {string.Join(", ", data.Select(s => s.Label))}.");
                byTarget[NormalizeLabel(key)] = sig;
                explicitTargets.Add(NormalizeLabel(key));
            }
        }
        var usedExplicitly = new HashSet<int>(byTarget.Values.Select(s => s.Index));
        foreach (EdfSignal sig in data)
        {
            if (usedExplicitly.Contains(sig.Index)) continue;
            string name = NormalizeLabel(sig.Label);
            if (!_targets.Contains(name) || explicitTargets.Contains(name)) continue;
            if (byTarget.TryGetValue(name, out EdfSignal? other))
                throw new EegMontageException(
                    $"Signals '{other.Label}' and '{sig.Label}' both map to electrode {name}; choose one with MontageOptions.ExplicitMapping.");
            byTarget[name] = sig;
        }

        var missing = Enumerable.Range(0, _targets.Length).Where(i => !byTarget.ContainsKey(_targets[i])).Select(i => _options.ChannelOrder[i]).ToList();
        if (missing.Count > 0 && !_options.UseOnlyPresentChannels)
            throw new EegMontageException(
                $"The recording lacks {missing.Count} of the {_targets.Length} electrodes: {string.Join(", ", missing)}. Its signals: {string.Join(", ", data.Select(s => s.Label))}. Map them with MontageOptions.ExplicitMapping or set MontageOptions.UseOnlyPresentChannels.");
        var present = _targets.Where(byTarget.ContainsKey).ToList();
        var names = Enumerable.Range(0, _targets.Length).Where(i => byTarget.ContainsKey(_targets[i])).Select(i => _options.ChannelOrder[i]).ToList();
        if (present.Count == 0)
            throw new EegMontageException(
                $"None of the electrodes {string.Join(", ", _options.ChannelOrder)} is among the recording's signals: {string.Join(", ", data.Select(s => s.Label))}.");
        var used = new HashSet<int>(present.Select(t => byTarget[t].Index));
        return new MontageMapping(
            names,
            present.Select(t => byTarget[t].Index).ToList(),
            present.Select(t => byTarget[t].Label).ToList(),
            missing,
            data.Where(s => !used.Contains(s.Index)).Select(s => s.Label).ToList());
    }
}
