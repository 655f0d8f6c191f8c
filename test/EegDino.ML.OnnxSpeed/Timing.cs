using System.Diagnostics;

namespace EegDino.ML.OnnxSpeed;

/// <summary>Collects milliseconds per variant and summarises them (median, best).</summary>
internal sealed class Timing
{
    private readonly Dictionary<string, List<double>> _samples = new(StringComparer.Ordinal);

    public void Measure(string variant, Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        watch.Stop();
        if (!_samples.TryGetValue(variant, out var list)) _samples[variant] = list = [];
        list.Add(watch.Elapsed.TotalMilliseconds);
    }

    public double Median(string variant)
    {
        var sorted = _samples[variant].Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public double Best(string variant) => _samples[variant].Min();

    public int Count(string variant) => _samples[variant].Count;
}
