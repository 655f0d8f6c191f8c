namespace EegDino.ML.Samples.Demo;

/// <summary>Small numeric helpers of the demo: band power, PCA, blocked cross-validation folds.</summary>
internal static class DemoAnalysis
{
    /// <summary>
    /// Power of each channel in a frequency band, in uV^2: Hann-windowed periodogram (one-sided PSD
    /// in uV^2/Hz, mean removed) summed over the bins in [lowHz, highHz] times the bin width. The
    /// bins are computed by a direct DFT (a handful of bins: no FFT needed).
    /// </summary>
    /// <param name="signal">[C, T] channel-major, microvolts.</param>
    /// <param name="channels">C.</param>
    /// <param name="samplesPerSecond">Sampling rate in Hz.</param>
    /// <param name="lowHz">Band start.</param>
    /// <param name="highHz">Band end (inclusive).</param>
    /// <returns>C band powers.</returns>
    public static double[] BandPower(float[] signal, int channels, double samplesPerSecond, double lowHz, double highHz)
    {
        int n = signal.Length / channels;
        var window = new double[n];
        double windowPower = 0;
        for (int t = 0; t < n; t++)
        {
            window[t] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * t / n); // periodic Hann
            windowPower += window[t] * window[t];
        }
        double df = samplesPerSecond / n;
        int k0 = (int)Math.Ceiling(lowHz / df), k1 = (int)Math.Floor(highHz / df);
        var result = new double[channels];
        var x = new double[n];
        for (int c = 0; c < channels; c++)
        {
            double mean = 0;
            for (int t = 0; t < n; t++) mean += signal[c * n + t];
            mean /= n;
            for (int t = 0; t < n; t++) x[t] = (signal[c * n + t] - mean) * window[t];
            double power = 0;
            for (int k = k0; k <= k1; k++)
            {
                double re = 0, im = 0, step = 2 * Math.PI * k / n;
                for (int t = 0; t < n; t++) { re += x[t] * Math.Cos(step * t); im -= x[t] * Math.Sin(step * t); }
                double psd = 2 * (re * re + im * im) / (samplesPerSecond * windowPower); // uV^2/Hz, one-sided
                power += psd * df;
            }
            result[c] = power;
        }
        return result;
    }

    /// <summary>
    /// The first <paramref name="components"/> principal components of the rows (centred; power
    /// iteration with deflation on the covariance), their scores and explained-variance fractions.
    /// </summary>
    public static (double[][] Scores, double[] ExplainedFraction) Pca(IReadOnlyList<float[]> rows, int components = 2)
    {
        int n = rows.Count, d = rows[0].Length;
        var mean = new double[d];
        foreach (var r in rows) for (int j = 0; j < d; j++) mean[j] += r[j] / (double)n;
        var cov = new double[d, d];
        var centred = rows.Select(r => r.Select((v, j) => v - mean[j]).ToArray()).ToArray();
        foreach (var r in centred)
            for (int i = 0; i < d; i++)
                for (int j = i; j < d; j++) cov[i, j] += r[i] * r[j] / (n - 1);
        for (int i = 0; i < d; i++) for (int j = 0; j < i; j++) cov[i, j] = cov[j, i];
        double total = 0;
        for (int i = 0; i < d; i++) total += cov[i, i];

        var scores = new double[components][];
        var explained = new double[components];
        var random = new Random(0);
        for (int c = 0; c < components; c++)
        {
            var v = Enumerable.Range(0, d).Select(_ => random.NextDouble() - 0.5).ToArray();
            double lambda = 0;
            for (int it = 0; it < 1000; it++)
            {
                var w = new double[d];
                for (int i = 0; i < d; i++) { double s = 0; for (int j = 0; j < d; j++) s += cov[i, j] * v[j]; w[i] = s; }
                double norm = Math.Sqrt(w.Sum(x => x * x));
                if (norm == 0) break;
                double change = 0;
                for (int i = 0; i < d; i++) { double nv = w[i] / norm; change += Math.Abs(nv - v[i]); v[i] = nv; }
                lambda = norm;
                if (change < 1e-12) break;
            }
            explained[c] = total > 0 ? lambda / total : 0;
            scores[c] = centred.Select(r => r.Select((x, j) => x * v[j]).Sum()).ToArray();
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) cov[i, j] -= lambda * v[i] * v[j];
        }
        return (scores, explained);
    }

    /// <summary>Role of a window in one fold of the blocked cross-validation.</summary>
    public enum FoldRole
    {
        /// <summary>Used to train the fold's model.</summary>
        Train,
        /// <summary>Used to test it.</summary>
        Test,
        /// <summary>Left out: it overlaps the test block without lying inside it.</summary>
        Purged,
    }

    /// <summary>
    /// Blocked, purged K-fold assignment: each recording is cut into K contiguous time blocks; in fold
    /// k, the windows lying entirely inside block k are the test set, the windows sharing no sample
    /// with block k are the training set, and the windows straddling its edges are left out. So no
    /// sample of a test window is ever seen in training, although windows overlap (stride &lt; length).
    /// </summary>
    public static FoldRole Role(double startSeconds, double windowSeconds, double recordingSeconds, int fold, int folds)
    {
        double blockStart = recordingSeconds * fold / folds, blockEnd = recordingSeconds * (fold + 1) / folds;
        double end = startSeconds + windowSeconds;
        const double eps = 1e-9;
        if (startSeconds >= blockStart - eps && end <= blockEnd + eps) return FoldRole.Test;
        if (end <= blockStart + eps || startSeconds >= blockEnd - eps) return FoldRole.Train;
        return FoldRole.Purged;
    }
}
