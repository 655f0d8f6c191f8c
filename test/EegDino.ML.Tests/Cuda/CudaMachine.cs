using System.Runtime.InteropServices;
using TorchSharp;

namespace EegDino.ML.Tests.Cuda;

/// <summary>
/// What the <c>Cuda</c> test category needs from the machine: a CUDA device through TorchSharp's
/// CUDA backend, and the device's memory as the driver (NVML) reports it. Without a GPU (CI, the
/// developers' machines) every such test is reported Inconclusive with its reason, never passed.
/// They run on the GPU machine through scripts/gpu/run.sh (docs/gpu.md).
/// </summary>
internal static class CudaMachine
{
    public const string Category = "Cuda";

    /// <summary>Ends the test as Inconclusive, with the reason, when no CUDA device can be used.</summary>
    public static void Require()
    {
        if (!torch.cuda.is_available())
            Assert.Inconclusive("No CUDA device here: the Cuda tests need a GPU and TorchSharp's CUDA backend; they run on the GPU machine through scripts/gpu/run.sh (docs/gpu.md).");
    }

    /// <summary>
    /// Bytes in use on CUDA device <paramref name="index"/>, as the driver counts them (every
    /// process's allocations, the caching allocator's reserved blocks included). TorchSharp 0.107
    /// exposes no allocator statistics (no <c>torch.cuda.memory_allocated</c>), so this is the
    /// number that grows when tensors leak: the allocator must then reserve more from the driver.
    /// </summary>
    public static ulong UsedBytes(uint index = 0)
    {
        Check(Nvml.Init(), "nvmlInit_v2");
        try
        {
            Check(Nvml.DeviceByIndex(index, out IntPtr device), "nvmlDeviceGetHandleByIndex_v2");
            Check(Nvml.MemoryInfo(device, out Nvml.Memory memory), "nvmlDeviceGetMemoryInfo");
            return memory.Used;
        }
        finally
        {
            Nvml.Shutdown();
        }
    }

    private static void Check(int status, string call)
    {
        if (status != 0) Assert.Fail($"{call} returned NVML status {status} (0 is success).");
    }

    /// <summary>The three NVML calls used, from the driver's libnvidia-ml.so.1.</summary>
    private static class Nvml
    {
        private const string Library = "libnvidia-ml.so.1";

        [StructLayout(LayoutKind.Sequential)]
        public struct Memory
        {
            public ulong Total;
            public ulong Free;
            public ulong Used;
        }

        [DllImport(Library, EntryPoint = "nvmlInit_v2")]
        public static extern int Init();

        [DllImport(Library, EntryPoint = "nvmlShutdown")]
        public static extern int Shutdown();

        [DllImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
        public static extern int DeviceByIndex(uint index, out IntPtr device);

        [DllImport(Library, EntryPoint = "nvmlDeviceGetMemoryInfo")]
        public static extern int MemoryInfo(IntPtr device, out Memory memory);
    }
}
