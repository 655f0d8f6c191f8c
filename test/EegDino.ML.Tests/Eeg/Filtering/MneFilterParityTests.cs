using EegDino.ML.Eeg;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Eeg.Filtering;

/// <summary>
/// The filters and references against MNE-Python 1.3's own output on the shared recordings
/// (eegmmidb at 160 Hz, eegmat at 500 Hz): <c>raw.filter</c>, <c>raw.notch_filter</c>,
/// <c>raw.set_eeg_reference('average')</c> with their defaults. NRMSE is the RMS difference over
/// the RMS of MNE's output, over both stored channels; "interior" leaves out one filter length (the
/// sum of the case's kernel lengths) at each edge, "edges" is that part alone. MNE's output is stored
/// as float32, so about 3e-8 is the floor.
/// </summary>
[TestClass]
public sealed class MneFilterParityTests
{
    private const double Tolerance = 1e-4;

    /// <summary>Cases filtered on the first seconds of a recording, edges included, through the filter stages.</summary>
    [TestMethod]
    [DataRow(160, "bandpass")]
    [DataRow(160, "bandpass_transitions")]
    [DataRow(160, "highpass")]
    [DataRow(160, "lowpass")]
    [DataRow(160, "notch")]
    [DataRow(160, "bandstop")]
    [DataRow(500, "bandpass")]
    [DataRow(500, "highpass")]
    [DataRow(500, "lowpass")]
    [DataRow(500, "notch")]
    [DataRow(500, "notch_harmonics")]
    [DataRow(500, "bandstop")]
    public void FilterStagesMatchMne(int rate, string name)
    {
        MneCase c = MneFilterReference.Case(rate, name);
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData(c.File));
        int n = c.InputSamples ?? throw new AssertFailedException("a cropped case was expected");
        var input = Arrays(c.Channels.Length, n);
        new ReferencedRecordingSource(reader, MneFilterReference.SignalIndexes(reader, c), []).Read(0, n, input, 0);

        IChannelSource chain = new ArrayChannelSource(input);
        foreach (FirFilterDesign design in ConditionedRecording.Designs(c.Options(), rate, n, c.ToString()))
            chain = new ZeroPhaseFilterStage(chain, design);
        var output = Arrays(c.Channels.Length, n);
        chain.Read(0, n, output, 0);

        AssertMatches(c, output, c.TotalFilterLength);
    }

    /// <summary>Whole recordings through the ML.NET loader at the file's rate: reference before the montage, filters before windowing.</summary>
    [TestMethod]
    [DataRow(500, "notch_then_bandpass")]
    [DataRow(160, "average_bandpass")]
    [DataRow(160, "average")]
    [DataRow(500, "average")]
    [DataRow(500, "montage_average")]
    public void LoaderMatchesMne(int rate, string name)
    {
        MneCase c = MneFilterReference.Case(rate, name);
        var ml = new MLContext(seed: 1);
        var options = new EegLoaderOptions
        {
            Windows = new EegWindowOptions { WindowSeconds = 1, StrideSeconds = 1, TargetSamplesPerSecond = null },
            Filters = c.Options(),
        };
        IDataView view = ml.Data.LoadFromEegRecordings([new EegRecordingSource(EdfTestWriter.TestData(c.File))], options);
        var slots = c.Channels.Select(ch => MontageMapper.DefaultChannelOrder.Select(MontageMapper.NormalizeLabel).ToList().IndexOf(MontageMapper.NormalizeLabel(ch))).ToArray();
        var output = Arrays(c.Channels.Length, c.StoredSamples);
        int window = rate, row = 0;
        using (var cursor = view.GetRowCursor(view.Schema))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(view.Schema[EegDataColumns.Signal]);
            VBuffer<float> signal = default;
            while (cursor.MoveNext() && row * window < c.StoredSamples)
            {
                getter(ref signal);
                ReadOnlySpan<float> values = signal.GetValues();
                for (int k = 0; k < slots.Length; k++)
                    for (int i = 0; i < window && row * window + i < c.StoredSamples; i++)
                        output[k][row * window + i] = values[slots[k] * window + i];
                row++;
            }
        }
        Assert.IsGreaterThanOrEqualTo(c.StoredSamples, row * window, $"the loader gave {row} windows of {window} samples");
        AssertMatches(c, output, c.Kernels.Length == 0 ? 0 : c.TotalFilterLength);
    }

    /// <summary>
    /// The whole recording at once through the public API, as <c>eegdino preprocess --no-resample
    /// --notch 50 --l-freq 0.5 --h-freq 40</c> can read it (one window of the whole recording at the
    /// file's rate): <c>raw.notch_filter(50)</c> then <c>raw.filter(0.5, 40)</c> on all 19 montage channels.
    /// </summary>
    [TestMethod]
    public void WholeRecordingMatchesMne()
    {
        MneCase c = MneFilterReference.Case(500, "notch_then_bandpass");
        using EdfReader reader = EdfReader.Open(EdfTestWriter.TestData(c.File));
        MontageMapping mapping = new MontageMapper().Map(reader.Signals);
        EdfSignal first = reader.Signals[mapping.SourceIndexes[0]];
        long n = reader.SampleCount(first.Index);
        var windower = new EegWindower(new EegWindowOptions { WindowSeconds = n / first.SamplesPerSecond, StrideSeconds = n / first.SamplesPerSecond, TargetSamplesPerSecond = null });
        EegWindow whole = windower.GetWindows(reader, mapping, c.Options()).Single();
        Assert.AreEqual(c.StoredSamples, whole.NumberOfSamples);
        Assert.HasCount(19, whole.Channels);
        var slots = c.Channels.Select(ch => mapping.SourceLabels.ToList().FindIndex(l => l.EndsWith(" " + ch, StringComparison.Ordinal))).ToArray();
        AssertMatches(c, slots.Select(k => whole.Signal.AsSpan(k * (int)n, (int)n).ToArray().Select(v => (double)v).ToArray()).ToArray(), c.TotalFilterLength);
    }

    /// <summary>The coefficients themselves against <c>mne.filter.create_filter</c>: same length, same values.</summary>
    [TestMethod]
    public void KernelsMatchCreateFilter()
    {
        foreach (int rate in new[] { 160, 500 })
        {
            foreach (MneCase c in MneFilterReference.Cases(rate).Where(x => x.Kernels.Length > 0))
            {
                var designs = ConditionedRecording.Designs(c.Options(), rate, long.MaxValue, c.ToString()).ToList();
                Assert.HasCount(c.Kernels.Length, designs, c.ToString());
                for (int k = 0; k < designs.Count; k++)
                {
                    double[] ours = designs[k].Kernel, mne = c.Kernels[k].Coefficients;
                    Assert.HasCount(mne.Length, ours, $"{c} kernel {k} ({designs[k].Description}): length");
                    double peak = mne.Max(Math.Abs), worst = ours.Zip(mne, (a, b) => Math.Abs(a - b)).Max();
                    Console.WriteLine($"{c,-34} kernel {k}: {ours.Length,5} taps, max |ours - MNE| / max |MNE| = {worst / peak:E1}  ({designs[k].Description})");
                    Assert.IsLessThanOrEqualTo(1e-12, worst / peak, $"{c} kernel {k}");
                }
            }
        }
    }

    private static void AssertMatches(MneCase c, double[][] ours, int edge)
    {
        int n = c.StoredSamples;
        // A case stores its output from the first sample, to the last one or not.
        bool bothEnds = n == c.NTimes;
        Func<int, bool> isEdge = bothEnds ? i => i < edge || i >= n - edge : i => i < edge;
        double interior = Nrmse(c, ours, i => !isEdge(i)), edges = edge == 0 ? 0 : Nrmse(c, ours, isEdge);
        Console.WriteLine($"{c}: {n} samples, interior NRMSE {interior:E2}" + (edge > 0 ? $", within {edge} samples of the edges {edges:E2}" : ""));
        Assert.IsLessThanOrEqualTo(Tolerance, interior, $"{c}: interior NRMSE");
        // The padding is MNE's reflect_limited, so the edges match too.
        Assert.IsLessThanOrEqualTo(Tolerance, edges, $"{c}: edge NRMSE");
    }

    private static double Nrmse(MneCase c, double[][] ours, Func<int, bool> include)
    {
        double diff = 0, reference = 0;
        for (int k = 0; k < c.Output.Length; k++)
        {
            for (int i = 0; i < c.StoredSamples; i++)
            {
                if (!include(i)) continue;
                double d = ours[k][i] - c.Output[k][i];
                diff += d * d;
                reference += (double)c.Output[k][i] * c.Output[k][i];
            }
        }
        return Math.Sqrt(diff / reference);
    }

    private static double[][] Arrays(int channels, int length) => Enumerable.Range(0, channels).Select(_ => new double[length]).ToArray();
}
