using System.Globalization;
using System.Text;

namespace EegDino.ML.Tests.Eeg;

/// <summary>A signal for <see cref="EdfTestWriter"/>: digital values are given per record.</summary>
internal sealed record TestSignal(string Label, string Unit, double PhysMin, double PhysMax, int DigMin, int DigMax, int SamplesPerRecord, Func<long, int> Digital);

/// <summary>Writes small EDF/EDF+/BDF files for tests (independent of the reader under test).</summary>
internal static class EdfTestWriter
{
    internal static byte[] Write(IReadOnlyList<TestSignal> signals, int records, double recordSeconds = 1,
        string reserved = "EDF+C", bool bdf = false, double[]? recordOnsets = null,
        IReadOnlyList<(double Onset, double Duration, string Text)>? annotations = null, int annotationBytes = 120)
    {
        bool plus = reserved.StartsWith("EDF+", StringComparison.Ordinal) || reserved.StartsWith("BDF+", StringComparison.Ordinal);
        int bps = bdf ? 3 : 2;
        int annSamples = annotationBytes / bps;
        int ns = signals.Count + (plus ? 1 : 0);
        var h = new StringBuilder();
        void F(object v, int w) { string s = Convert.ToString(v, CultureInfo.InvariantCulture)!; h.Append(s.PadRight(w)[..w]); }
        var header = new List<byte>();
        if (bdf) { header.Add(0xFF); header.AddRange(Encoding.ASCII.GetBytes("BIOSEMI")); } else F("0", 8);
        F("X X X test", 80); F("Startdate 01-JAN-2020 X X test", 80); F("01.02.20", 8); F("13.14.15", 8);
        F(256 * (ns + 1), 8); F(reserved, 44); F(records, 8); F(recordSeconds, 8); F(ns, 4);
        var all = signals.Select(s => (s.Label, s.Unit, s.PhysMin, s.PhysMax, s.DigMin, s.DigMax, s.SamplesPerRecord)).ToList();
        if (plus) all.Add((bdf ? "BDF Annotations" : "EDF Annotations", "", -1, 1, bdf ? -8388608 : -32768, bdf ? 8388607 : 32767, annSamples));
        foreach (var s in all) F(s.Label, 16);
        foreach (var _ in all) F("", 80);
        foreach (var s in all) F(s.Unit, 8);
        foreach (var s in all) F(s.PhysMin, 8);
        foreach (var s in all) F(s.PhysMax, 8);
        foreach (var s in all) F(s.DigMin, 8);
        foreach (var s in all) F(s.DigMax, 8);
        foreach (var _ in all) F("", 80);
        foreach (var s in all) F(s.SamplesPerRecord, 8);
        foreach (var _ in all) F("", 32);
        header.AddRange(Encoding.ASCII.GetBytes(h.ToString()));

        var body = new List<byte>();
        for (int r = 0; r < records; r++)
        {
            foreach (TestSignal s in signals)
            {
                for (int i = 0; i < s.SamplesPerRecord; i++)
                {
                    int v = s.Digital((long)r * s.SamplesPerRecord + i);
                    body.Add((byte)v); body.Add((byte)(v >> 8));
                    if (bdf) body.Add((byte)(v >> 16));
                }
            }
            if (plus)
            {
                double onset = recordOnsets?[r] ?? r * recordSeconds;
                var tal = new List<byte>();
                tal.AddRange(Encoding.ASCII.GetBytes("+" + onset.ToString(CultureInfo.InvariantCulture)));
                tal.Add(0x14); tal.Add(0x14); tal.Add(0);
                foreach (var a in annotations ?? [])
                {
                    if (a.Onset < onset || a.Onset >= onset + recordSeconds) continue;
                    tal.AddRange(Encoding.ASCII.GetBytes((a.Onset >= 0 ? "+" : "") + a.Onset.ToString(CultureInfo.InvariantCulture)));
                    if (a.Duration > 0) { tal.Add(0x15); tal.AddRange(Encoding.ASCII.GetBytes(a.Duration.ToString(CultureInfo.InvariantCulture))); }
                    tal.Add(0x14); tal.AddRange(Encoding.UTF8.GetBytes(a.Text)); tal.Add(0x14); tal.Add(0);
                }
                if (tal.Count > annSamples * bps) throw new InvalidOperationException("annotation bytes too small");
                while (tal.Count < annSamples * bps) tal.Add(0);
                body.AddRange(tal);
            }
        }
        return [.. header, .. body];
    }

    /// <summary>A 19-channel 10-20 EDF+ at the given rate: channel c carries a sine of (c + 1) Hz, amplitude 50 uV.</summary>
    internal static byte[] TenTwenty(int samplesPerSecond, int seconds, Func<int, long, int>? digital = null,
        IReadOnlyList<(double Onset, double Duration, string Text)>? annotations = null, string prefix = "EEG ", string suffix = "-REF")
    {
        string[] names = ["Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8", "P7", "P3", "Pz", "P4", "P8", "O1", "O2"];
        var sigs = names.Select((n, c) => new TestSignal(prefix + n + suffix, "uV", -3276.8, 3276.7, -32768, 32767, samplesPerSecond,
            digital is null ? i => (int)Math.Round(500 * Math.Sin(2 * Math.PI * (c + 1) * i / samplesPerSecond)) : i => digital(c, i))).ToList();
        return Write(sigs, seconds, 1, "EDF+C", annotations: annotations);
    }

    internal static string TempFile(byte[] bytes, string extension = ".edf")
    {
        string path = TempFolder.NewFile("edf", extension);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    internal static string TestData(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "eeg", name);
        if (!File.Exists(path)) Assert.Fail($"Missing test data file {path}.");
        return path;
    }
}
