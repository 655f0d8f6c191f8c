using System.Globalization;
using EegDino.ML.Eeg;

namespace EegDino.ML.Corpus;

/// <summary>
/// One share of a corpus: shard <see cref="Index"/> of <see cref="Count"/> (from 0). Every shard lists
/// the same recordings and takes its own by a deterministic rule (<see cref="Select"/>), so a corpus is
/// split over processes and machines without a coordinator: Slurm job arrays, Kubernetes Indexed Jobs,
/// or one process per GPU.
/// </summary>
public sealed record EmbeddingShard
{
    /// <summary>Creates shard <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <param name="index">K, from 0 to <paramref name="count"/> - 1.</param>
    /// <param name="count">N, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">K or N is out of range.</exception>
    public EmbeddingShard(int index, int count)
    {
        if (count < 1 || count > MaxShards)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The shard count is {count}; 1 to {MaxShards} shards were expected.");
        if (index < 0 || index >= count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The shard index is {index}; with {count} shards it must be 0 to {count - 1} (shards count from 0).");
        Index = index;
        Count = count;
    }

    /// <summary>The most shards of one corpus: 99,999 (part names have five digits).</summary>
    public const int MaxShards = 99_999;

    /// <summary>K, from 0.</summary>
    public int Index { get; }

    /// <summary>N.</summary>
    public int Count { get; }

    /// <summary>The shard's table in a dataset folder: <c>part-KKKKK-of-NNNNN.EXT</c>.</summary>
    /// <param name="extension">The table format's extension without the dot (<c>parquet</c>, <c>csv</c>).</param>
    /// <returns>The file name.</returns>
    public string PartFileName(string extension) =>
        string.Create(CultureInfo.InvariantCulture, $"part-{Index:D5}-of-{Count:D5}.{extension}");

    /// <summary>
    /// Parses <c>K/N</c> (e.g. <c>0/3</c>), or <c>auto</c>: from a Slurm job array
    /// (<c>SLURM_ARRAY_TASK_ID</c>, with the count from <c>SLURM_ARRAY_TASK_COUNT</c>, else from
    /// <c>SLURM_ARRAY_TASK_MIN</c>/<c>MAX</c>) or a Kubernetes Indexed Job (<c>JOB_COMPLETION_INDEX</c>,
    /// with the count given by <paramref name="shards"/>). With <paramref name="shards"/> given, a Slurm
    /// task id is the shard index itself (so one task can be resubmitted alone: <c>sbatch --array=1</c>).
    /// </summary>
    /// <param name="text"><c>K/N</c> or <c>auto</c>.</param>
    /// <param name="shards">The count for <c>auto</c> under Kubernetes (its variables do not carry it), or to check Slurm's against.</param>
    /// <param name="environment">Reads an environment variable (default: the process environment).</param>
    /// <returns>The shard.</returns>
    /// <exception cref="ArgumentException">The text is malformed, out of range, or <c>auto</c> finds no scheduler.</exception>
    public static EmbeddingShard Parse(string text, int? shards = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        environment ??= Environment.GetEnvironmentVariable;
        if (text.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase)) return FromScheduler(shards, environment);
        string[] parts = text.Trim().Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.AllowLeadingSign | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out int k)
            || !int.TryParse(parts[1], NumberStyles.AllowLeadingSign | NumberStyles.AllowTrailingWhite | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out int n))
            throw new ArgumentException($"The shard is '{text}'; K/N (e.g. 0/3, K from 0) or auto was expected.", nameof(text));
        if (shards is int given && given != n)
            throw new ArgumentException($"The shard '{text}' says {n} shards but the shard count is {given}.", nameof(text));
        try
        {
            return new EmbeddingShard(k, n);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"The shard is '{text}': {e.Message.Split(" (Parameter")[0]}", nameof(text), e);
        }
    }

    private static EmbeddingShard FromScheduler(int? shards, Func<string, string?> environment)
    {
        int? Int(string name)
        {
            string? value = environment(name);
            if (string.IsNullOrWhiteSpace(value)) return null;
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
                ? v : throw new ArgumentException($"The environment variable {name} is '{value}'; a whole number >= 0 was expected.");
        }

        if (Int("SLURM_ARRAY_TASK_ID") is int task)
        {
            // With the count given, the task id is the shard itself, so single tasks can be resubmitted
            // (sbatch --array=1 ... --shards 3); without it, the array must be the whole set of shards.
            if (shards is int given) return Checked(task, given, $"SLURM_ARRAY_TASK_ID {task} with {given} shards");
            int min = Int("SLURM_ARRAY_TASK_MIN") ?? 0;
            int? count = Int("SLURM_ARRAY_TASK_COUNT");
            if (count is null && Int("SLURM_ARRAY_TASK_MAX") is int max) count = max - min + 1;
            if (count is null)
                throw new ArgumentException("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN/MAX is: give the shard count (--shards N).");
            return Checked(task - min, count.Value, $"SLURM_ARRAY_TASK_ID {task} (array from {min}, {count} tasks)");
        }
        if (Int("JOB_COMPLETION_INDEX") is int index)
        {
            int count = shards ?? throw new ArgumentException(
                "JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job), but Kubernetes does not say how many completions there are: give the shard count (--shards N, the Job's spec.completions).");
            return Checked(index, count, $"JOB_COMPLETION_INDEX {index}");
        }
        throw new ArgumentException(
            "--shard auto found no scheduler: neither SLURM_ARRAY_TASK_ID (a Slurm job array, sbatch --array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set. Give the shard as K/N.");
    }

    private static EmbeddingShard Checked(int index, int count, string source)
    {
        try
        {
            return new EmbeddingShard(index, count);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"{source}: {e.Message.Split(" (Parameter")[0]}", e);
        }
    }

    /// <summary>
    /// This shard's recordings, in the order given. The rule, which balances work by bytes rather
    /// than by count: the recordings are taken largest first (file size; ties by name, ordinal, then by
    /// position in the list), each going to the shard with the fewest bytes so far (ties: the lowest
    /// index). Names, not absolute paths, break ties, so machines that mount the corpus elsewhere
    /// still agree. Every recording is in exactly one shard, and every shard computes the same split
    /// from the same list.
    /// </summary>
    /// <param name="inputs">Every recording of the corpus (e.g. from <see cref="EegEmbeddingJob.FindRecordings"/>).</param>
    /// <returns>The recordings of this shard.</returns>
    public IReadOnlyList<EegRecordingSource> Select(IReadOnlyList<EegRecordingSource> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int[] owner = Assign(inputs.Select(i => new FileInfo(i.Path).Length).ToArray(), inputs.Select(i => i.Name).ToArray(), Count);
        return inputs.Where((_, i) => owner[i] == Index).ToList();
    }

    /// <summary>The shard of each item: largest first to the least loaded shard (the rule of <see cref="Select"/>).</summary>
    internal static int[] Assign(long[] sizes, string[] names, int shards)
    {
        var order = Enumerable.Range(0, sizes.Length)
            .OrderByDescending(i => sizes[i]).ThenBy(i => names[i], StringComparer.Ordinal).ThenBy(i => i);
        var load = new long[shards];
        var owner = new int[sizes.Length];
        foreach (int i in order)
        {
            int best = 0;
            for (int s = 1; s < shards; s++)
            {
                if (load[s] < load[best]) best = s;
            }
            owner[i] = best;
            load[best] += sizes[i];
        }
        return owner;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
