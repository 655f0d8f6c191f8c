using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>
/// The fast paths against naive oracles written here: the FFT against a direct DFT, FFT overlap-add
/// against direct convolution, and the block-by-block zero-phase stage against filtering the whole
/// signal at once with MNE's padding rule spelled out sample by sample.
/// </summary>
[TestClass]
public sealed class FirConvolutionTests
{
    [TestMethod]
    [DataRow(2)]
    [DataRow(4)]
    [DataRow(8)]
    [DataRow(64)]
    [DataRow(1024)]
    public void FftEqualsTheDft(int n)
    {
        var rnd = new Random(n);
        double[] re = Random(rnd, n), im = Random(rnd, n);
        var (expectRe, expectIm) = Dft(re, im, -1);
        var fft = new ComplexFft(n);
        double[] r = (double[])re.Clone(), m = (double[])im.Clone();
        fft.Forward(r, m);
        AssertClose(expectRe, r, 1e-12 * n);
        AssertClose(expectIm, m, 1e-12 * n);
        // The inverse without 1/N brings back N x the input.
        fft.Inverse(r, m);
        AssertClose(re.Select(v => v * n).ToArray(), r, 1e-12 * n);
        AssertClose(im.Select(v => v * n).ToArray(), m, 1e-12 * n);
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(4)]
    [DataRow(8)]
    [DataRow(16)]
    [DataRow(32)]
    [DataRow(64)]
    [DataRow(1024)]
    [DataRow(2048)]
    public void BitReversedForwardEqualsTheDftInBitReversedOrder(int n)
    {
        // Odd and even numbers of vector passes (8 and 16, 1024 and 2048) take different first passes.
        var rnd = new Random(n + 1);
        double[] re = Random(rnd, n), im = Random(rnd, n);
        var (expectRe, expectIm) = Dft(re, im, -1);
        var fft = new ComplexFft(n);
        double[] r = (double[])re.Clone(), m = (double[])im.Clone();
        fft.ForwardToBitReversed(r, m);
        int bits = System.Numerics.BitOperations.Log2((uint)n);
        double[] gotRe = new double[n], gotIm = new double[n];
        for (int k = 0; k < n; k++)
        {
            int reversed = 0;
            for (int b = 0; b < bits; b++) reversed |= ((k >> b) & 1) << (bits - 1 - b);
            gotRe[k] = r[reversed];
            gotIm[k] = m[reversed];
        }
        AssertClose(expectRe, gotRe, 1e-12 * n);
        AssertClose(expectIm, gotIm, 1e-12 * n);
        // The inverse from bit-reversed order brings back N x the input in natural order.
        fft.InverseFromBitReversed(r, m);
        AssertClose(re.Select(v => v * n).ToArray(), r, 1e-12 * n);
        AssertClose(im.Select(v => v * n).ToArray(), m, 1e-12 * n);
    }

    [TestMethod]
    [DataRow(1, 0)]
    [DataRow(5, 0)]
    [DataRow(65, 0)]
    [DataRow(65, 256)]
    [DataRow(101, 256)]
    [DataRow(101, 4096)]
    [DataRow(1057, 0)]
    [DataRow(3301, 8192)]
    public void OverlapAddEqualsDirectConvolution(int taps, int fftLength)
    {
        var rnd = new Random(taps);
        double[] h = Random(rnd, taps);
        foreach (int outputs in new[] { 1, 7, 3 * taps + 11, 20_000 })
        {
            double[] a = Random(rnd, outputs + taps - 1), b = Random(rnd, outputs + taps - 1);
            double[] expectA = NaiveValid(h, a), expectB = NaiveValid(h, b);
            var convolver = new FirConvolver(h, fftLength);
            var gotA = new double[outputs];
            var gotB = new double[outputs];
            convolver.Apply(a, gotA, b, gotB);
            double scale = h.Sum(Math.Abs);
            AssertClose(expectA, gotA, 1e-12 * scale);
            AssertClose(expectB, gotB, 1e-12 * scale);
            var single = new double[outputs];
            convolver.Apply(a, single, default, default);
            AssertClose(expectA, single, 1e-12 * scale);
        }
    }

    [TestMethod]
    public void AutomaticChoiceUsesFftForLongKernels()
    {
        Assert.AreEqual(0, new FirConvolver(new double[FirConvolver.DirectMaxTaps]).FftLength);
        var fft = new FirConvolver(new double[3301]);
        Assert.IsGreaterThanOrEqualTo(2 * 3301 - 1, fft.FftLength);
        Assert.AreEqual(fft.FftLength - 3300, fft.BlockLength);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new FirConvolver(new double[100], 128));
    }

    /// <summary>Any range read from a stage, in any order, equals the whole signal filtered at once, edges included.</summary>
    [TestMethod]
    [DataRow(71, -1)]
    [DataRow(1057, 0)]
    [DataRow(3301, 0)]
    public void BlocksEqualTheWholeSignalFilteredAtOnce(int taps, int fftLength)
    {
        var rnd = new Random(taps);
        FirFilterDesign design = Design(taps);
        int n = 40_000;
        double[][] x = [Random(rnd, n).Select(v => v + 500).ToArray(), Random(rnd, n)];
        double[][] expected = x.Select(c => NaiveZeroPhase(design.Kernel, c, 0, n)).ToArray();
        var stage = new ZeroPhaseFilterStage(new ArrayChannelSource(x), design, fftLength: fftLength);
        // Ranges out of order, across block boundaries, touching both ends.
        var ranges = new List<(int Start, int Count)> { (n - 1000, 1000), (0, 1), (20_000, 17_001), (0, 20_000), (37_001, n - 1000 - 37_001), (12_345, 3) };
        foreach (var (start, count) in ranges)
        {
            var part = x.Select(_ => new double[count]).ToArray();
            stage.Read(start, count, part, 0);
            for (int c = 0; c < x.Length; c++)
                AssertClose(expected[c].AsSpan(start, count).ToArray(), part[c], 1e-9, $"channel {c}, samples {start}+{count}");
        }
    }

    /// <summary>EDF+D parts are filtered separately, each with its own padding, and a part shorter than the filter is padded with zeros beyond its reflection.</summary>
    [TestMethod]
    public void PartsAreFilteredOnTheirOwn()
    {
        var rnd = new Random(7);
        FirFilterDesign design = Design(1057);
        int n = 12_000;
        long[] starts = [5_000, 5_400, 9_000]; // parts of 5000, 400 (shorter than the filter), 3600 and 3000 samples
        double[][] x = [Random(rnd, n).Select(v => v * 20 - 3).ToArray(), Random(rnd, n)];
        var stage = new ZeroPhaseFilterStage(new ArrayChannelSource(x), design, starts);
        var got = x.Select(_ => new double[n]).ToArray();
        stage.Read(0, n, got, 0);
        long[] bounds = [0, .. starts, n];
        for (int p = 0; p + 1 < bounds.Length; p++)
        {
            int s = (int)bounds[p], e = (int)bounds[p + 1];
            for (int c = 0; c < x.Length; c++)
                AssertClose(NaiveZeroPhase(design.Kernel, x[c], s, e), got[c].AsSpan(s, e - s).ToArray(), 1e-9, $"part {p}, channel {c}");
        }
    }

    /// <summary>Filters in turn (each padded at the edges) equal the cascade, which uses the convolved kernels away from the edges.</summary>
    [TestMethod]
    public void CascadeEqualsTheFiltersInTurn()
    {
        var rnd = new Random(11);
        FirFilterDesign notch = FirFilterDesign.Notch(500, [50.0], long.MaxValue, "test");
        FirFilterDesign band = FirFilterDesign.Pass(500, 1, 40, null, null, long.MaxValue, "test");
        FirFilterDesign low = FirFilterDesign.Pass(500, null, 100, null, null, long.MaxValue, "test");
        int n = 60_000;
        long[] starts = [30_000, 33_000]; // a part shorter than the reach of the cascade in the middle
        double[][] x = [Random(rnd, n).Select(v => 40 * v + 1000).ToArray(), Random(rnd, n), Random(rnd, n)];
        foreach (FirFilterDesign[] designs in new[] { new[] { notch, band }, new[] { notch, low, band } })
        {
            IChannelSource inTurn = new ArrayChannelSource(x);
            foreach (FirFilterDesign d in designs) inTurn = new ZeroPhaseFilterStage(inTurn, d, starts);
            var expected = x.Select(_ => new double[n]).ToArray();
            inTurn.Read(0, n, expected, 0);
            var cascade = new CascadeFilterStage(new ArrayChannelSource(x), designs, starts);
            foreach (var (start, count) in new[] { (0, n), (29_000, 5_000), (5_000, 50) })
            {
                var got = x.Select(_ => new double[count]).ToArray();
                cascade.Read(start, count, got, 0);
                for (int c = 0; c < x.Length; c++)
                    AssertClose(expected[c].AsSpan(start, count).ToArray(), got[c], 1e-9, $"{designs.Length} filters, channel {c}, samples {start}+{count}");
            }
        }
        // The FFT product equals the direct convolution of the kernels.
        double[] combined = CascadeFilterStage.Combine([notch, band]);
        Assert.HasCount(notch.Length + band.Length - 1, combined);
        var direct = new double[combined.Length];
        for (int i = 0; i < notch.Length; i++)
            for (int j = 0; j < band.Length; j++) direct[i + j] += notch.Kernel[i] * band.Kernel[j];
        AssertClose(direct, combined, 1e-15);
    }

    private static FirFilterDesign Design(int taps) => taps switch
    {
        71 => FirFilterDesign.Pass(160, null, 30, null, null, long.MaxValue, "test"),
        1057 => FirFilterDesign.Pass(160, 0.5, 40, null, null, long.MaxValue, "test"),
        3301 => FirFilterDesign.Notch(500, [50.0], long.MaxValue, "test"),
        _ => throw new ArgumentOutOfRangeException(nameof(taps)),
    };

    /// <summary>
    /// MNE's zero-phase filtering of x[s, e) written out: y[i] = sum_j h[H + j] v(i + j), where v is
    /// x inside the part, 2 x[s] - x[s + d] d samples before it and 2 x[e-1] - x[e-1-d] d samples after
    /// it while d is at most e - s - 1 (numpy's reflect_limited _smart_pad), else 0.
    /// </summary>
    private static double[] NaiveZeroPhase(double[] h, double[] x, int s, int e)
    {
        int half = (h.Length - 1) / 2, length = e - s;
        double V(long i)
        {
            if (i < s) { long d = s - i; return d <= length - 1 ? 2 * x[s] - x[s + d] : 0; }
            if (i >= e) { long d = i - (e - 1); return d <= length - 1 ? 2 * x[e - 1] - x[e - 1 - d] : 0; }
            return x[i];
        }
        var y = new double[length];
        for (int i = s; i < e; i++)
        {
            double acc = 0;
            for (int j = -half; j <= half; j++) acc += h[half + j] * V(i + j);
            y[i - s] = acc;
        }
        return y;
    }

    private static double[] NaiveValid(double[] h, double[] x)
    {
        int n = h.Length;
        var y = new double[x.Length - n + 1];
        for (int i = 0; i < y.Length; i++)
        {
            double acc = 0;
            for (int k = 0; k < n; k++) acc += h[k] * x[i + n - 1 - k];
            y[i] = acc;
        }
        return y;
    }

    private static (double[] Re, double[] Im) Dft(double[] re, double[] im, int sign)
    {
        int n = re.Length;
        var outRe = new double[n];
        var outIm = new double[n];
        for (int k = 0; k < n; k++)
        {
            double sr = 0, si = 0;
            for (int t = 0; t < n; t++)
            {
                double angle = sign * 2 * Math.PI * ((long)k * t % n) / n;
                sr += re[t] * Math.Cos(angle) - im[t] * Math.Sin(angle);
                si += re[t] * Math.Sin(angle) + im[t] * Math.Cos(angle);
            }
            outRe[k] = sr;
            outIm[k] = si;
        }
        return (outRe, outIm);
    }

    private static double[] Random(Random rnd, int n) => Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 2 - 1).ToArray();

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what = "")
    {
        Assert.HasCount(expected.Length, actual, what);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        Assert.IsLessThanOrEqualTo(tolerance, worst, $"{what}: largest difference {worst:E2} at {at}");
    }
}
