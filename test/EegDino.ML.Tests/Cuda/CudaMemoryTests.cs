namespace EegDino.ML.Tests.Cuda;

/// <summary>
/// Repeated forwards on CUDA leave the device's memory where the first ones put it: every tensor of
/// a forward is freed, so the caching allocator reuses its blocks and never asks the driver for more.
/// </summary>
[TestClass]
[TestCategory(CudaMachine.Category)]
[DoNotParallelize]
public sealed class CudaMemoryTests
{
    private const int WarmUp = 50;
    private const int Forwards = 10_000;

    /// <summary>
    /// The smallest amount the caching allocator reserves from the driver is one 2 MiB segment (its
    /// small-block pool), and its smallest block is 512 bytes: a leak of even one tensor per forward
    /// grows the device's memory by 10,000 x 512 B = 4.9 MiB or more, over two segments.
    /// </summary>
    private const ulong Segment = 2 << 20;

    [TestMethod]
    public void DeviceMemoryStaysFlatOverTenThousandForwards()
    {
        CudaMachine.Require();
        float[] input = Fixtures.Input("tiny", out long[] shape);
        int batch = (int)shape[0], channels = (int)shape[1];
        using var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"),
            new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), InputScale = 1f, Device = "cuda" });

        for (int i = 0; i < WarmUp; i++) encoder.EncodeBatch(input, batch, channels);
        ulong before = CudaMachine.UsedBytes();
        var samples = new List<string>();
        ulong peak = before;
        for (int i = 1; i <= Forwards; i++)
        {
            encoder.EncodeBatch(input, batch, channels);
            if (i % 2000 == 0)
            {
                ulong used = CudaMachine.UsedBytes();
                peak = Math.Max(peak, used);
                samples.Add($"{i}: {used / (1 << 20)} MiB");
            }
        }
        ulong after = CudaMachine.UsedBytes();
        Console.WriteLine($"memory tiny [{batch}, {channels}, {shape[2]}]: after warm-up {before / (1 << 20)} MiB; " + string.Join(", ", samples));
        Assert.IsTrue(peak - before < Segment && after <= peak,
            $"device memory grew from {before} to {peak} bytes over {Forwards} forwards (samples: {string.Join(", ", samples)})");
    }
}
