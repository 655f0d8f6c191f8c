using static EegDino.ML.Samples.Demo.DemoAnalysis;

namespace EegDino.ML.Tests.Samples;

/// <summary>
/// The demo's blocked, purged cross-validation: in every fold no test window shares a sample with a
/// training window, every window lies wholly inside at most one test block, and no window is lost
/// from all folds' training sets unless it straddles a block edge in every fold.
/// </summary>
[TestClass]
public sealed class DemoFoldTests
{
    private const double SamplesPerSecond = 200;

    private static List<double> Starts(double recording, double window, double stride)
    {
        var starts = new List<double>();
        for (int k = 0; ; k++)
        {
            double start = k * stride;
            if (start + window > recording + 1e-9) return starts;
            starts.Add(start);
        }
    }

    /// <summary>Sample indices [first, last] a window covers at 200 Hz.</summary>
    private static (long First, long Last) Samples(double start, double window) =>
        ((long)Math.Round(start * SamplesPerSecond), (long)Math.Round((start + window) * SamplesPerSecond) - 1);

    [TestMethod]
    [DataRow(61.0, 4.0, 2.0, 5)]
    [DataRow(61.0, 4.0, 1.0, 3)]
    [DataRow(61.0, 2.0, 2.0, 5)]
    [DataRow(125.0, 10.0, 0.5, 4)]
    [DataRow(60.0, 3.0, 3.0, 10)]
    [DataRow(30.5, 7.0, 1.5, 2)]
    public void NoTestWindowSharesASampleWithATrainingWindow(double recording, double window, double stride, int folds)
    {
        var starts = Starts(recording, window, stride);
        Assert.IsNotEmpty(starts);
        var timesTested = new int[starts.Count];
        for (int fold = 0; fold < folds; fold++)
        {
            var roles = starts.Select(s => Role(s, window, recording, fold, folds)).ToList();
            var test = starts.Where((_, i) => roles[i] == FoldRole.Test).Select(s => Samples(s, window)).ToList();
            var train = starts.Where((_, i) => roles[i] == FoldRole.Train).Select(s => Samples(s, window)).ToList();
            foreach (var t in test)
                foreach (var r in train)
                    Assert.IsTrue(t.Last < r.First || r.Last < t.First,
                        $"fold {fold}: test window samples {t.First}..{t.Last} overlap training window {r.First}..{r.Last}");
            double blockStart = recording * fold / folds, blockEnd = recording * (fold + 1) / folds;
            for (int i = 0; i < starts.Count; i++)
            {
                bool inside = starts[i] >= blockStart - 1e-9 && starts[i] + window <= blockEnd + 1e-9;
                Assert.AreEqual(inside, roles[i] == FoldRole.Test, $"fold {fold}, window at {starts[i]} s");
                if (roles[i] == FoldRole.Test) timesTested[i]++;
            }
        }
        Assert.IsTrue(timesTested.All(n => n <= 1), "a window is tested in at most one fold");
    }

    [TestMethod]
    public void WindowsOutsideTheBlockTrainAndWindowsAcrossItsEdgesArePurged()
    {
        // 60 s, 3 folds: block 1 is [20, 40).
        Assert.AreEqual(FoldRole.Train, Role(0, 4, 60, 1, 3));
        Assert.AreEqual(FoldRole.Train, Role(16, 4, 60, 1, 3), "ends exactly where the block starts");
        Assert.AreEqual(FoldRole.Purged, Role(18, 4, 60, 1, 3));
        Assert.AreEqual(FoldRole.Test, Role(20, 4, 60, 1, 3));
        Assert.AreEqual(FoldRole.Test, Role(36, 4, 60, 1, 3), "ends exactly where the block ends");
        Assert.AreEqual(FoldRole.Purged, Role(38, 4, 60, 1, 3));
        Assert.AreEqual(FoldRole.Train, Role(40, 4, 60, 1, 3));
    }
}
