using System.Diagnostics;

namespace EegDino.ML.Tests.Model;

/// <summary>Repeated encoding does not grow native memory (every forward runs in a dispose scope).</summary>
[TestClass]
[DoNotParallelize]
public sealed class MemoryTests
{
    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }

    [TestMethod]
    public void ManyForwardsKeepResidentMemoryFlat()
    {
        // Small preset, 19 x 2000: without dispose scopes every forward would leave
        // ~50 MiB of intermediate tensors behind (FACTS: 475 MiB per batch of 8).
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("small"));
        float[] batch = Fixtures.Synthetic(19, 2000);
        for (int i = 0; i < 5; i++) encoder.EncodeBatch(batch, 1, 19); // warm-up: allocator pools fill
        long before = ResidentBytes();
        const int forwards = 20;
        for (int i = 0; i < forwards; i++) encoder.EncodeBatch(batch, 1, 19);
        long growth = ResidentBytes() - before;
        Console.WriteLine($"resident memory growth over {forwards} forwards: {growth / 1048576.0:F1} MiB");
        Assert.IsTrue(growth < 150L * 1024 * 1024, $"resident memory grew by {growth / 1048576.0:F1} MiB over {forwards} forwards");
    }
}
