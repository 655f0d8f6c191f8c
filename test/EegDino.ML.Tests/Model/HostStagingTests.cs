using EegDino.ML.Model;

namespace EegDino.ML.Tests.Model;

/// <summary>The staging copy into the GPU's pinned buffer, in parallel slices when the batch is large.</summary>
[TestClass]
public sealed class HostStagingTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(HostStaging.ParallelSlice)]
    [DataRow(HostStaging.ParallelSlice + 1)]
    [DataRow(2 * HostStaging.ParallelSlice + 12345)]
    public void TheCopyHoldsEveryValueInOrderAndLeavesTheRestOfTheBuffer(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = i * 0.5f - 7;
        var target = new float[length + 3];
        target.AsSpan(length).Fill(42);
        HostStaging.CopyInParallel(values, target);
        CollectionAssert.AreEqual(values, target[..length]);
        CollectionAssert.AreEqual(new float[] { 42, 42, 42 }, target[length..]);
    }

    [TestMethod]
    public void ATooSmallBufferIsAnError()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => HostStaging.CopyInParallel(new float[10], new float[9]));
        StringAssert.Contains(e.Message, "holds 9 values; 10 are copied");
    }
}
