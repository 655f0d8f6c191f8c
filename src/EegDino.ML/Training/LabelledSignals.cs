namespace EegDino.ML.Training;

/// <summary>
/// Rows for training or validation held densely: <c>[N, C, T]</c> signals (microvolts, unscaled,
/// channel-major per row) and 0-based class indices.
/// </summary>
internal sealed class LabelledSignals
{
    public LabelledSignals(float[] signals, int[] labels, int numberOfChannels, int samplesPerChannel)
    {
        if (signals.Length != (long)labels.Length * numberOfChannels * samplesPerChannel)
            throw new ArgumentException($"{signals.Length} signal values for {labels.Length} rows of {numberOfChannels} x {samplesPerChannel}.", nameof(signals));
        Signals = signals;
        Labels = labels;
        NumberOfChannels = numberOfChannels;
        SamplesPerChannel = samplesPerChannel;
    }

    public float[] Signals { get; }

    public int[] Labels { get; }

    public int Count => Labels.Length;

    public int NumberOfChannels { get; }

    public int SamplesPerChannel { get; }

    public int RowLength => NumberOfChannels * SamplesPerChannel;

    public ReadOnlySpan<float> Row(int index) => Signals.AsSpan(index * RowLength, RowLength);

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public LabelledSignals Subset(IReadOnlyList<int> indices)
    {
        var signals = new float[indices.Count * RowLength];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Row(indices[i]).CopyTo(signals.AsSpan(i * RowLength, RowLength));
            labels[i] = Labels[indices[i]];
        }
        return new LabelledSignals(signals, labels, NumberOfChannels, SamplesPerChannel);
    }

    /// <summary>
    /// Splits off about <paramref name="fraction"/> of each class (at least one row of every class with
    /// two or more rows) as a validation set, shuffled with <paramref name="random"/>.
    /// </summary>
    public (LabelledSignals Training, LabelledSignals Validation) SplitStratified(double fraction, Random random)
    {
        var training = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, Count).GroupBy(i => Labels[i]).OrderBy(g => g.Key))
        {
            int[] rows = group.ToArray();
            random.Shuffle(rows);
            int take = rows.Length < 2 ? 0 : Math.Clamp((int)Math.Round(rows.Length * fraction), 1, rows.Length - 1);
            validation.AddRange(rows.Take(take));
            training.AddRange(rows.Skip(take));
        }
        training.Sort();
        validation.Sort();
        return (Subset(training), Subset(validation));
    }
}
