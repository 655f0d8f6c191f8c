namespace EegDino.ML.Weights;

/// <summary>A checkpoint entry that is not part of the network, and why.</summary>
/// <param name="Key">The key as stored.</param>
/// <param name="Reason">e.g. "teacher encoder (source is student)", "projector head".</param>
internal sealed record SkippedEntry(string Key, string Reason);

/// <summary>The result of <see cref="CheckpointKeyMapper.MapDetailed"/>.</summary>
internal sealed class CheckpointKeyMapping
{
    /// <summary>Tensors under network keys (<c>global_tokens</c>, <c>final_layer.token_proj.0.weight</c>...), in file order.</summary>
    public required Dictionary<string, WeightTensor> Tensors { get; init; }

    /// <summary>Entries set aside, with the reason.</summary>
    public required IReadOnlyList<SkippedEntry> Skipped { get; init; }

    /// <summary>Original head names renamed to braindecode's (<c>full_linear.weight</c> → <c>final_layer.token_proj.0.weight</c>).</summary>
    public required IReadOnlyList<(string From, string To)> RenamedHead { get; init; }

    /// <summary>The file holds a DINO student encoder (<c>[module.]student.*</c>).</summary>
    public required bool HasStudent { get; init; }

    /// <summary>The file holds a DINO teacher encoder (<c>[module.]teacher.*</c>).</summary>
    public required bool HasTeacher { get; init; }

    /// <summary>The mapped tensors include a classification head (<c>final_layer.*</c>).</summary>
    public bool HasHead => Tensors.Keys.Any(k => k.StartsWith("final_layer.", StringComparison.Ordinal));
}

/// <summary>
/// Turns the keys of any checkpoint into the network's state_dict keys (the released names):
/// selects the student or teacher encoder of a DINO training checkpoint, strips wrapper prefixes
/// (<c>module.</c>, <c>encoder.</c>, <c>model.</c>, <c>backbone.</c>), renames the original
/// fine-tuning head (<c>full_linear</c>, <c>channel_linear</c>, <c>classifier.N</c>) to
/// braindecode's <c>final_layer.*</c>, and sets aside what is not part of the network (projector
/// heads, the other encoder, buffers such as <c>relative_position_index</c>) with the reason.
/// See docs/checkpoints.md for the table.
/// </summary>
internal static class CheckpointKeyMapper
{
    private static readonly string[] Wrappers = ["module.", "encoder.", "model.", "backbone."];

    // Original fine-tuning head → braindecode's final_layer. full_linear is applied per token and
    // channel_linear after the mean over channels, in that order in the head's forward: the same
    // order and roles as token_proj and time_proj (inferred, the names alone do not say it).
    private static readonly (string From, string To)[] HeadRenames =
    [
        ("full_linear.", "final_layer.token_proj.0."),
        ("channel_linear.", "final_layer.time_proj.0."),
        ("classifier.", "final_layer.classifier."),
    ];

    /// <summary>Maps the keys; see <see cref="MapDetailed"/>. Returns the skipped keys only.</summary>
    public static (Dictionary<string, WeightTensor> Tensors, IReadOnlyList<string> Skipped) Map(
        IReadOnlyDictionary<string, WeightTensor> tensors, EegDinoWeightSource source)
    {
        var mapping = MapDetailed(tensors, source);
        return (mapping.Tensors, mapping.Skipped.Select(s => s.Key).ToList());
    }

    /// <summary>Maps every key of <paramref name="tensors"/> to a network key or a skip reason.</summary>
    /// <exception cref="EegDinoModelFormatException">The requested encoder is absent while the other is
    /// present, or two entries map to the same network key.</exception>
    public static CheckpointKeyMapping MapDetailed(IReadOnlyDictionary<string, WeightTensor> tensors, EegDinoWeightSource source)
    {
        string chosen = source == EegDinoWeightSource.Student ? "student." : "teacher.";
        string other = source == EegDinoWeightSource.Student ? "teacher." : "student.";
        bool hasStudent = tensors.Keys.Any(k => StripWrappers(k).StartsWith("student.", StringComparison.Ordinal));
        bool hasTeacher = tensors.Keys.Any(k => StripWrappers(k).StartsWith("teacher.", StringComparison.Ordinal));
        bool hasChosen = source == EegDinoWeightSource.Student ? hasStudent : hasTeacher;
        if (!hasChosen && (hasStudent || hasTeacher))
        {
            throw new EegDinoModelFormatException(
                $"The checkpoint holds only the {other.TrimEnd('.')} encoder; the {chosen.TrimEnd('.')} was requested. Choose the {other.TrimEnd('.')} as weight source.");
        }

        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = new List<SkippedEntry>();
        var renamed = new List<(string, string)>();
        foreach (var (key, tensor) in tensors)
        {
            string name = StripWrappers(key);
            if (name.StartsWith(other, StringComparison.Ordinal))
            {
                skipped.Add(new(key, $"{other.TrimEnd('.')} encoder (source is {chosen.TrimEnd('.')})"));
                continue;
            }
            if (name.StartsWith(chosen, StringComparison.Ordinal)) name = StripWrappers(name[chosen.Length..]);

            string? reason = NotAWeight(name);
            if (reason is not null)
            {
                skipped.Add(new(key, reason));
                continue;
            }
            string network = RenameHead(name);
            if (network != name) renamed.Add((key, network));
            if (!result.TryAdd(network, tensor))
                throw new EegDinoModelFormatException($"Two checkpoint entries map to the network key '{network}': '{origin[network]}' and '{key}'.");
            origin[network] = key;
        }
        return new CheckpointKeyMapping
        {
            Tensors = result,
            Skipped = skipped,
            RenamedHead = renamed,
            HasStudent = hasStudent,
            HasTeacher = hasTeacher,
        };
    }

    /// <summary>A one-line summary of skipped keys grouped by their first two name parts.</summary>
    public static string Summarise(IReadOnlyList<string> skipped) =>
        skipped.Count == 0 ? "nothing skipped" : $"skipped {skipped.Count} entries: " + string.Join(", ",
            skipped.GroupBy(k => string.Join('.', k.Split('.').Take(k.StartsWith("module.", StringComparison.Ordinal) ? 3 : 2)))
                .Select(g => $"{g.Key}.* ({g.Count()})"));

    /// <summary>A one-line summary of skipped entries grouped by reason.</summary>
    public static string Summarise(IReadOnlyList<SkippedEntry> skipped) =>
        skipped.Count == 0 ? "nothing skipped" : $"skipped {skipped.Count} entries: " + string.Join(", ",
            skipped.GroupBy(s => s.Reason).Select(g => $"{g.Count()} {g.Key}"));

    /// <summary>Whether <paramref name="key"/> belongs to the encoder of the other source of a training checkpoint.</summary>
    public static bool IsOtherEncoder(string key, EegDinoWeightSource source) =>
        StripWrappers(key).StartsWith(source == EegDinoWeightSource.Student ? "teacher." : "student.", StringComparison.Ordinal);

    /// <summary>Whether <paramref name="key"/> belongs to the encoder of <paramref name="source"/> of a training checkpoint.</summary>
    public static bool IsEncoder(string key, EegDinoWeightSource source) =>
        StripWrappers(key).StartsWith(source == EegDinoWeightSource.Student ? "student." : "teacher.", StringComparison.Ordinal);

    private static string StripWrappers(string key)
    {
        foreach (string prefix in Wrappers)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return StripWrappers(key[prefix.Length..]);
        }
        return key;
    }

    private static string RenameHead(string name)
    {
        foreach (var (from, to) in HeadRenames)
        {
            if (name.StartsWith(from, StringComparison.Ordinal)) return to + name[from.Length..];
        }
        return name;
    }

    private static string? NotAWeight(string name)
    {
        if (name.EndsWith("relative_position_index", StringComparison.Ordinal)) return "relative_position_index buffer (computed, not a weight)";
        string first = name.Split('.')[0];
        if (first.EndsWith("_head", StringComparison.Ordinal) || first is "head" || first.StartsWith("projector", StringComparison.Ordinal))
            return "DINO projector head";
        return null;
    }
}
