namespace EegDino.ML.Weights;

/// <summary>
/// Turns the keys of any checkpoint into the network's state_dict keys (the released names):
/// selects the student or teacher encoder of a DINO training checkpoint, strips wrapper prefixes
/// (<c>module.</c>, <c>encoder.</c>, <c>model.</c>), renames the original fine-tuning head
/// (<c>full_linear</c>, <c>channel_linear</c>, <c>classifier.N</c>) to braindecode's
/// <c>final_layer.*</c>, and sets aside what is not part of the network (projector heads, the other
/// encoder, buffers such as <c>relative_position_index</c>) with a summary of what was skipped.
/// </summary>
internal static class CheckpointKeyMapper
{
    public static (Dictionary<string, WeightTensor> Tensors, IReadOnlyList<string> Skipped) Map(
        IReadOnlyDictionary<string, WeightTensor> tensors, EegDinoWeightSource source)
    {
        string chosen = source == EegDinoWeightSource.Student ? "student." : "teacher.";
        string other = source == EegDinoWeightSource.Student ? "teacher." : "student.";
        bool hasEncoders = tensors.Keys.Any(k => StripWrappers(k).StartsWith(chosen, StringComparison.Ordinal));

        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        var skipped = new List<string>();
        foreach (var (key, tensor) in tensors)
        {
            string name = StripWrappers(key);
            if (hasEncoders)
            {
                if (name.StartsWith(other, StringComparison.Ordinal)) { skipped.Add(key); continue; }
                if (name.StartsWith(chosen, StringComparison.Ordinal)) name = StripWrappers(name[chosen.Length..]);
            }
            name = RenameHead(name);
            if (IsNotAWeight(name)) { skipped.Add(key); continue; }
            if (!result.TryAdd(name, tensor))
                throw new EegDinoModelFormatException($"Two checkpoint entries map to the network key '{name}' (one of them is '{key}').");
        }
        return (result, skipped);
    }

    /// <summary>A one-line summary of skipped keys grouped by their first two name parts.</summary>
    public static string Summarise(IReadOnlyList<string> skipped) =>
        skipped.Count == 0 ? "nothing skipped" : $"skipped {skipped.Count} entries: " + string.Join(", ",
            skipped.GroupBy(k => string.Join('.', k.Split('.').Take(k.StartsWith("module.", StringComparison.Ordinal) ? 3 : 2)))
                .Select(g => $"{g.Key}.* ({g.Count()})"));

    private static string StripWrappers(string key)
    {
        foreach (string prefix in new[] { "module.", "encoder.", "model.", "backbone." })
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal)) return StripWrappers(key[prefix.Length..]);
        }
        return key;
    }

    private static string RenameHead(string name)
    {
        if (name.StartsWith("full_linear.", StringComparison.Ordinal)) return "final_layer.token_proj.0." + name["full_linear.".Length..];
        if (name.StartsWith("channel_linear.", StringComparison.Ordinal)) return "final_layer.time_proj.0." + name["channel_linear.".Length..];
        if (name.StartsWith("classifier.", StringComparison.Ordinal)) return "final_layer." + name;
        return name;
    }

    private static bool IsNotAWeight(string name) =>
        name.EndsWith("relative_position_index", StringComparison.Ordinal)
        || name.Contains("_head.", StringComparison.Ordinal)
        || name.StartsWith("head.", StringComparison.Ordinal)
        || name.StartsWith("projector", StringComparison.Ordinal);
}
