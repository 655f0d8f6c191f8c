using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg;

/// <summary>The resampler against analytic references: sinusoids in and out, lengths, chunked = whole.</summary>
[TestClass]
public sealed class EegResamplerTests
{
    private static float[] Sine(double hz, double rate, int n, double amplitude = 1) =>
        Enumerable.Range(0, n).Select(i => (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate + 0.3))).ToArray();

    /// <summary>Least-squares amplitude of a tone at <paramref name="hz"/> in the middle half of the signal (edges excluded).</summary>
    private static double Amplitude(float[] y, double hz, double rate)
    {
        int from = y.Length / 4, to = 3 * y.Length / 4;
        double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
        for (int i = from; i < to; i++)
        {
            double s = Math.Sin(2 * Math.PI * hz * i / rate), c = Math.Cos(2 * Math.PI * hz * i / rate);
            ss += s * s; cc += c * c; sc += s * c; ys += y[i] * s; yc += y[i] * c;
        }
        double det = ss * cc - sc * sc;
        double a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
        return Math.Sqrt(a * a + b * b);
    }

    [TestMethod]
    [DataRow(160, 5, 4)]
    [DataRow(500, 2, 5)]
    [DataRow(250, 4, 5)]
    [DataRow(256, 25, 32)]
    [DataRow(512, 25, 64)]
    [DataRow(200, 1, 1)]
    public void FactorsAndLengthFollowRoundOfTTimesRatio(int rate, int up, int down)
    {
        var r = new EegResampler(rate, 200);
        Assert.AreEqual(up, r.UpFactor);
        Assert.AreEqual(down, r.DownFactor);
        foreach (int t in new[] { 1, 2, 3, 7, 9760, 9761, 31000, 31003, 12345 })
        {
            long expected = (long)Math.Floor(t * 200.0 / rate + 0.5);
            Assert.AreEqual(expected, r.OutputLength(t), $"T={t}");
            Assert.HasCount((int)expected, r.Resample(new float[t]));
        }
    }

    [TestMethod]
    [DataRow(160)]
    [DataRow(500)]
    [DataRow(250)]
    [DataRow(256)]
    [DataRow(512)]
    public void PassBandTonesKeepAmplitudeWithinPointOneDb(int rate)
    {
        var r = new EegResampler(rate, 200);
        double edge = 0.8 * Math.Min(rate, 200) / 2;
        double worst = 0;
        for (double hz = 0.5; hz <= edge; hz += edge / 23)
        {
            float[] y = r.Resample(Sine(hz, rate, rate * 20));
            double db = 20 * Math.Log10(Amplitude(y, hz, 200));
            worst = Math.Max(worst, Math.Abs(db));
            Assert.IsLessThanOrEqualTo(0.1, Math.Abs(db), $"{rate} Hz input, tone {hz:F2} Hz: {db:F4} dB");
        }
        Console.WriteLine($"{rate} -> 200 Hz: worst pass-band deviation {worst:F5} dB up to {edge} Hz (filter {r.FilterLength} taps)");
    }

    [TestMethod]
    [DataRow(500)]
    [DataRow(250)]
    [DataRow(256)]
    [DataRow(512)]
    public void ContentAboveNewNyquistIsAttenuatedBy60Db(int rate)
    {
        var r = new EegResampler(rate, 200);
        double worst = double.NegativeInfinity;
        for (double hz = 100.2; hz < rate / 2.0; hz += 3.7)
        {
            float[] y = r.Resample(Sine(hz, rate, rate * 20));
            // The alias of hz lands at |hz - k*200| folded into [0, 100]; measure there and the RMS overall.
            double alias = Math.Abs(hz - 200 * Math.Round(hz / 200));
            double db = 20 * Math.Log10(Math.Max(Amplitude(y, alias, 200), 1e-12));
            double rms = Math.Sqrt(y.Skip(y.Length / 4).Take(y.Length / 2).Average(v => (double)v * v)) * Math.Sqrt(2);
            double rmsDb = 20 * Math.Log10(Math.Max(rms, 1e-12));
            worst = Math.Max(worst, Math.Max(db, rmsDb));
            Assert.IsLessThanOrEqualTo(-60, Math.Max(db, rmsDb), $"{rate} Hz input, tone {hz:F1} Hz: alias {db:F1} dB, total {rmsDb:F1} dB");
        }
        Console.WriteLine($"{rate} -> 200 Hz: worst stop-band level {worst:F1} dB");
    }

    [TestMethod]
    public void UpsamplingImagesAreAttenuatedBy60Db()
    {
        var r = new EegResampler(160, 200);
        double worst = double.NegativeInfinity;
        for (double hz = 1; hz <= 64; hz += 3)
        {
            float[] y = r.Resample(Sine(hz, 160, 160 * 20));
            double image = 160 - hz; // first image of a tone upsampled from 160 Hz
            double db = 20 * Math.Log10(Math.Max(Amplitude(y, image, 200), 1e-12));
            worst = Math.Max(worst, db);
            Assert.IsLessThanOrEqualTo(-60, db, $"tone {hz} Hz, image at {image} Hz: {db:F1} dB");
        }
        Console.WriteLine($"160 -> 200 Hz: worst image level {worst:F1} dB");
    }

    [TestMethod]
    [DataRow(160)]
    [DataRow(500)]
    [DataRow(256)]
    public void ChunkedResamplingEqualsWholeSignal(int rate)
    {
        var rng = new Random(7);
        float[] x = Enumerable.Range(0, rate * 12 + 3).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var r = new EegResampler(rate, 200);
        float[] whole = r.Resample(x);
        foreach ((long start, int count) in new[] { (0L, 200), (1L, 7), (733L, 400), (whole.Length - 5L, 5), (1000L, 1) })
        {
            (long a, long b) = r.InputRange(start, count, x.Length);
            var output = new float[count];
            r.Resample(x.AsSpan((int)a, (int)(b - a)), a, x.Length, start, output);
            CollectionAssert.AreEqual(whole.Skip((int)start).Take(count).ToArray(), output, $"outputs {start}+{count}");
        }
        Assert.ThrowsExactly<ArgumentException>(() => r.Resample(x.AsSpan(0, 10), 0, x.Length, 1000, new float[10]));
    }

    [TestMethod]
    public void DotProductSumsInItsDocumentedOrder()
    {
        // The order is part of the contract (the same values with or without vectors, any chunk):
        // eight running sums of float32 products, ((s0 + s4) + (s1 + s5)) + ((s2 + s6) + (s3 + s7)),
        // then the remainder in order; spelled out here in scalar code, compared bit for bit.
        var rng = new Random(11);
        float[] x = Enumerable.Range(0, 300).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        float[] taps = Enumerable.Range(0, 300).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        foreach (int n in new[] { 0, 1, 7, 8, 9, 15, 16, 17, 126, 127, 253 })
        {
            foreach (int at in new[] { 0, 1, 3, 5 })
            {
                var sums = new double[8];
                int whole = n / 8 * 8;
                for (int i = 0; i < whole; i++) sums[i % 8] += taps[i] * x[at + i];
                double expected = ((sums[0] + sums[4]) + (sums[1] + sums[5])) + ((sums[2] + sums[6]) + (sums[3] + sums[7]));
                for (int i = whole; i < n; i++) expected += taps[i] * x[at + i];
                Assert.AreEqual(expected, EegResampler.Dot(taps.AsSpan(0, n), x.AsSpan(at, n)), 0.0, $"n={n}, offset {at}");
            }
        }
        Assert.ThrowsExactly<ArgumentException>(() => EegResampler.Dot(taps.AsSpan(0, 8), x.AsSpan(0, 9)));
    }

    [TestMethod]
    public void OutputIsTimeAligned()
    {
        // A slow ramp keeps its values at aligned times (sample m at input time m * 500 / 200).
        var r = new EegResampler(500, 200);
        float[] x = Sine(2, 500, 5000, 100);
        float[] y = r.Resample(x);
        for (int m = 200; m < 1800; m += 37)
            Assert.AreEqual(100 * Math.Sin(2 * Math.PI * 2 * m / 200.0 + 0.3), y[m], 0.01);
    }

    [TestMethod]
    public void InvalidRatesAreRejected()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegResampler(0, 200));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegResampler(double.NaN, 200));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new EegResampler(160, 200, new ResamplerOptions { PassbandFraction = 1.2 }));
        Assert.ThrowsExactly<ArgumentException>(() => new EegResampler(200.0001, 200));
    }
}
