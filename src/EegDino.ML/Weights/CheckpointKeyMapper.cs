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
/// Turns the keys of any checkpoint into the network's state_dict keys (the released names). The
/// rule: take the encoder (and a classification head), set aside everything else, whatever its
/// name, with the reason; the strict copy into the network (<see cref="NetworkWeights.CopyTo"/>)
/// then refuses only missing, mis-shaped or unexpected keys inside the encoder itself.
/// <list type="bullet">
/// <item>Wrapper prefixes (<c>module.</c>, <c>encoder.</c>, <c>model.</c>, <c>backbone.</c>) are stripped wherever they lead.</item>
/// <item>A DINO training checkpoint (<c>[module.]student.*</c> / <c>[module.]teacher.*</c>): the
/// chosen encoder is everything under its prefix (strict), except a DINO head inside it
/// (<c>student.head.*</c> of DINO's MultiCropWrapper) and <c>relative_position_index</c> buffers.
/// Everything outside it is set aside: the other encoder, projectors (<c>student_projector.*</c>,
/// <c>module.teacher_head.*</c>), loss centres, EMA copies, anything.</item>
/// <item>Any other checkpoint: keys under the encoder's roots (<c>global_tokens</c>,
/// <c>patch_embedding</c>, <c>encoder_layers</c>) are the encoder; other roots are set aside.</item>
/// <item>Head keys (<c>final_layer.*</c>, and the original fine-tuning code's <c>full_linear</c>,
/// <c>channel_linear</c>, <c>classifier.N</c>, renamed to braindecode's) are taken wherever they
/// are, except under the other encoder.</item>
/// </list>
/// See docs/checkpoints.md for the table.
/// </summary>
internal static class CheckpointKeyMapper
{
    private static readonly string[] Wrappers = ["module.", "encoder.", "model.", "backbone."];

    // The first name part of every encoder key of the network (EegDinoNetwork).
    private static readonly HashSet<string> EncoderRoots = new(StringComparer.Ordinal) { "global_tokens", "patch_embedding", "encoder_layers" };

    // Original fine-tuning head -> braindecode's final_layer. full_linear is applied per token and
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

    /// <summary>Maps every key of <paramref name="tensors"/> to a network key or a reason to set it aside.</summary>
    /// <exception cref="EegDinoModelFormatException">The requested encoder is absent while the other is
    /// present, or two entries map to the same network key.</exception>
    public static CheckpointKeyMapping MapDetailed(IReadOnlyDictionary<string, WeightTensor> tensors, EegDinoWeightSource source)
    {
        var plan = new Plan(tensors.Keys.ToList(), source);
        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        var skipped = new List<SkippedEntry>();
        var renamed = new List<(string, string)>();
        foreach (var (key, tensor) in tensors)
        {
            var (network, reason) = plan.Classify(key);
            if (network is null)
            {
                skipped.Add(new(key, reason!));
                continue;
            }
            if (network != plan.Unwrapped(key)) renamed.Add((key, network));
            if (!result.TryAdd(network, tensor))
                throw new EegDinoModelFormatException($"Two checkpoint entries map to the network key '{network}': '{origin[network]}' and '{key}'.");
            origin[network] = key;
        }
        return new CheckpointKeyMapping
        {
            Tensors = result,
            Skipped = skipped,
            RenamedHead = renamed,
            HasStudent = plan.HasStudent,
            HasTeacher = plan.HasTeacher,
        };
    }

    /// <summary>
    /// For a reader that can leave tensors unread: given every tensor key of a file, which keys are
    /// set aside for <paramref name="source"/> (the reason) and which are read (null). Throws as
    /// <see cref="MapDetailed"/> when the requested encoder is absent while the other is present.
    /// </summary>
    public static Func<IReadOnlyList<string>, Func<string, string?>> SetAsideFor(EegDinoWeightSource source) =>
        keys =>
        {
            var plan = new Plan(keys, source);
            return key => plan.Classify(key).Reason;
        };

    /// <summary>A one-line summary of skipped keys grouped by their first two name parts.</summary>
    public static string Summarise(IReadOnlyList<string> skipped) =>
        skipped.Count == 0 ? "nothing skipped" : $"skipped {skipped.Count} entries: " + string.Join(", ",
            skipped.GroupBy(k => string.Join('.', k.Split('.').Take(k.StartsWith("module.", StringComparison.Ordinal) ? 3 : 2)))
                .Select(g => $"{g.Key}.* ({g.Count()})"));

    /// <summary>A one-line summary of skipped entries grouped by reason.</summary>
    public static string Summarise(IReadOnlyList<SkippedEntry> skipped) =>
        skipped.Count == 0 ? "nothing skipped" : $"skipped {skipped.Count} entries: " + string.Join(", ",
            skipped.GroupBy(s => s.Reason).Select(g => $"{g.Count()} {g.Key}"));

    private static string StripWrappers(string key)
    {
        foreach (string prefix in Wrappers)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return StripWrappers(key[prefix.Length..]);
        }
        return key;
    }

    private static string Root(string name) => name.Split('.')[0];

    private static bool IsHeadKey(string name) =>
        name.StartsWith("final_layer.", StringComparison.Ordinal) || HeadRenames.Any(r => name.StartsWith(r.From, StringComparison.Ordinal));

    // Projection heads of self-supervised training (DINO's DINOHead, projector MLPs), by name.
    private static bool IsProjectorHead(string root) =>
        root.Contains("head", StringComparison.OrdinalIgnoreCase) || root.Contains("projector", StringComparison.OrdinalIgnoreCase);

    private static string RenameHead(string name)
    {
        foreach (var (from, to) in HeadRenames)
        {
            if (name.StartsWith(from, StringComparison.Ordinal)) return to + name[from.Length..];
        }
        return name;
    }

    /// <summary>The classification of a file's keys for one source (it depends on the whole key set: DINO or not).</summary>
    private sealed class Plan
    {
        private readonly string _chosen;
        private readonly string _other;

        public Plan(IReadOnlyCollection<string> keys, EegDinoWeightSource source)
        {
            _chosen = source == EegDinoWeightSource.Student ? "student." : "teacher.";
            _other = source == EegDinoWeightSource.Student ? "teacher." : "student.";
            HasStudent = keys.Any(k => StripWrappers(k).StartsWith("student.", StringComparison.Ordinal));
            HasTeacher = keys.Any(k => StripWrappers(k).StartsWith("teacher.", StringComparison.Ordinal));
            bool hasChosen = source == EegDinoWeightSource.Student ? HasStudent : HasTeacher;
            if (!hasChosen && (HasStudent || HasTeacher))
            {
                throw new EegDinoModelFormatException(
                    $"The checkpoint holds only the {_other.TrimEnd('.')} encoder; the {_chosen.TrimEnd('.')} was requested. Choose the {_other.TrimEnd('.')} as weight source.");
            }
        }

        public bool HasStudent { get; }

        public bool HasTeacher { get; }

        private bool IsDino => HasStudent || HasTeacher;

        /// <summary>The key without wrappers and without the chosen source's prefix.</summary>
        public string Unwrapped(string key)
        {
            string name = StripWrappers(key);
            return name.StartsWith(_chosen, StringComparison.Ordinal) ? StripWrappers(name[_chosen.Length..]) : name;
        }

        /// <summary>The network key the entry maps to, or null and why it is set aside.</summary>
        public (string? NetworkKey, string? Reason) Classify(string key)
        {
            string name = StripWrappers(key);
            string chosen = _chosen.TrimEnd('.');
            if (name.StartsWith(_other, StringComparison.Ordinal)) return (null, $"{_other.TrimEnd('.')} encoder (source is {chosen})");
            bool inChosen = name.StartsWith(_chosen, StringComparison.Ordinal);
            if (inChosen) name = StripWrappers(name[_chosen.Length..]);
            if (name.EndsWith("relative_position_index", StringComparison.Ordinal)) return (null, "relative_position_index buffer (computed, not a weight)");
            if (IsHeadKey(name)) return (RenameHead(name), null);

            string root = Root(name);
            // Inside the chosen encoder everything is taken, so that an unexpected key there is refused.
            if (inChosen) return IsProjectorHead(root) ? (null, "DINO projector head") : (name, null);
            if (!IsDino && EncoderRoots.Contains(root)) return (name, null);
            if (IsProjectorHead(root)) return (null, "DINO projector head");
            return (null, IsDino ? $"outside the {chosen} encoder ({root}.*)" : $"outside the encoder ({root}.*)");
        }
    }
}
