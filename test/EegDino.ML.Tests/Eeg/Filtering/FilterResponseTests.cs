using System.Globalization;
using EegDino.ML.Eeg;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>
/// The measured frequency responses of our filters against MNE's (docs/eeg-input.md prints this
/// table): the largest pass-band deviation from 0 dB, the smallest stop-band attenuation, and the
/// frequencies where the amplitude is 0.5 (-6 dB). Both sides evaluate the zero-phase amplitude on
/// the same grid (40,001 points from 0 Hz to Nyquist, scipy's <c>freqz</c> in the script) and the
/// -6 dB points by root finding; the pass and stop bands are MNE's, and our design's own control
/// points must give the same bands.
/// </summary>
[TestClass]
public sealed class FilterResponseTests
{
    [TestMethod]
    public void ResponsesMatchMne()
    {
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine("| Rate | Case | Filter | Taps | Pass-band ripple, dB (ours / MNE) | Stop-band attenuation, dB (ours / MNE) | -6 dB points, Hz (ours; MNE equal to 1e-9 Hz) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (int rate in new[] { 160, 500 })
        {
            foreach (MneCase c in MneFilterReference.Cases(rate).Where(x => x.Kernels.Length > 0))
            {
                var designs = ConditionedRecording.Designs(c.Options(), rate, long.MaxValue, c.ToString()).ToList();
                for (int k = 0; k < designs.Count; k++)
                {
                    FirFilterDesign d = designs[k];
                    MneResponse mne = c.Kernels[k].Response;
                    var (pass, stop) = Bands(d);
                    AssertBands(mne.Passband, pass, $"{c} kernel {k} pass bands");
                    AssertBands(mne.Stopband, stop.Where(b => b[1] > b[0]).ToArray(), $"{c} kernel {k} stop bands");

                    double nyq = rate / 2.0;
                    double[] grid = Enumerable.Range(0, mne.GridPoints).Select(i => i == mne.GridPoints - 1 ? nyq : i * (nyq / (mne.GridPoints - 1))).ToArray();
                    double[] amplitude = grid.Select(f => Math.Abs(Amplitude(d.Kernel, f, rate))).ToArray();
                    double ripple = grid.Select((f, i) => (f, i)).Where(p => In(mne.Passband, p.f)).Max(p => Math.Abs(20 * Math.Log10(amplitude[p.i])));
                    double? attenuation = mne.Stopband.Length == 0 ? null
                        : -20 * Math.Log10(grid.Select((f, i) => (f, i)).Where(p => In(mne.Stopband, p.f)).Max(p => amplitude[p.i]));
                    double[] minus6 = Transitions(d).Select(t => Bisect(f => Math.Abs(Amplitude(d.Kernel, f, rate)) - 0.5, t[0], t[1])).ToArray();

                    Assert.AreEqual(mne.PassbandRippleDb, ripple, 1e-6, $"{c} kernel {k}: pass-band ripple");
                    if (attenuation is null) Assert.IsNull(mne.StopbandAttenuationDb);
                    else Assert.AreEqual(mne.StopbandAttenuationDb!.Value, attenuation.Value, 1e-6, $"{c} kernel {k}: stop-band attenuation");
                    Assert.HasCount(mne.Minus6DbHz.Length, minus6, $"{c} kernel {k}: -6 dB points");
                    for (int i = 0; i < minus6.Length; i++)
                        Assert.AreEqual(mne.Minus6DbHz[i], minus6[i], 1e-6, $"{c} kernel {k}: -6 dB point {i}");

                    string Db(double? v) => v is null ? "-" : v.Value.ToString("0.0000", ci);
                    Console.WriteLine($"| {rate} Hz | {c.Name} | {d.Description} | {d.Length} | {ripple.ToString("0.0000", ci)} / {mne.PassbandRippleDb.ToString("0.0000", ci)} | {Db(attenuation)} / {Db(mne.StopbandAttenuationDb)} | {string.Join(", ", minus6.Select(f => f.ToString("0.000", ci)))} |");
                }
            }
        }
    }

    /// <summary>The zero-phase amplitude <c>h[H] + 2 sum_j h[H + j] cos(2 pi f j / rate)</c> of a symmetric kernel (Chebyshev recurrence for the cosines).</summary>
    private static double Amplitude(double[] h, double f, double rate)
    {
        int half = (h.Length - 1) / 2;
        double w = 2 * Math.PI * f / rate, c1 = Math.Cos(w), prev = 1, cur = c1, sum = h[half];
        for (int j = 1; j <= half; j++)
        {
            sum += 2 * h[half + j] * cur;
            (prev, cur) = (cur, 2 * c1 * cur - prev);
        }
        return sum;
    }

    private static double Bisect(Func<double, double> g, double lo, double hi)
    {
        double glo = g(lo);
        for (int i = 0; i < 200 && hi - lo > 1e-13; i++)
        {
            double mid = (lo + hi) / 2, gm = g(mid);
            if (Math.Sign(gm) == Math.Sign(glo)) { lo = mid; glo = gm; } else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>Pass and stop bands from a design's control points: runs of gain 1, and of gain 0.</summary>
    private static (double[][] Pass, double[][] Stop) Bands(FirFilterDesign d)
    {
        var pass = new List<double[]>();
        var stop = new List<double[]>();
        for (int i = 0; i + 1 < d.ControlHz.Count; i++)
        {
            if (d.ControlGain[i] != d.ControlGain[i + 1]) continue;
            var list = d.ControlGain[i] == 1 ? pass : stop;
            if (list.Count > 0 && list[^1][1] == d.ControlHz[i]) list[^1][1] = d.ControlHz[i + 1];
            else list.Add([d.ControlHz[i], d.ControlHz[i + 1]]);
        }
        return (pass.ToArray(), stop.ToArray());
    }

    private static IEnumerable<double[]> Transitions(FirFilterDesign d)
    {
        for (int i = 0; i + 1 < d.ControlHz.Count; i++)
            if (d.ControlGain[i] != d.ControlGain[i + 1]) yield return [d.ControlHz[i], d.ControlHz[i + 1]];
    }

    private static bool In(double[][] bands, double f) => bands.Any(b => f >= b[0] && f <= b[1]);

    private static void AssertBands(double[][] expected, double[][] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i][0], actual[i][0], 1e-9, what);
            Assert.AreEqual(expected[i][1], actual[i][1], 1e-9, what);
        }
    }
}
