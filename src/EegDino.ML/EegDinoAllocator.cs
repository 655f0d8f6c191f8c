using System.Runtime.InteropServices;

namespace EegDino.ML;

/// <summary>
/// Process-wide native memory settings for throughput: repeated EEG-DINO forward passes reuse the
/// memory of the previous ones instead of page-faulting on fresh memory.
/// </summary>
/// <remarks>
/// libtorch allocates every activation with <c>malloc</c>. With glibc's defaults, large blocks are
/// mapped fresh from the kernel and the heap is given back when it shrinks, so a forward pass touches
/// new pages (zeroed by the kernel, one fault per 4 KiB) until glibc's adaptive threshold has seen
/// every block size, which takes several passes. Measured on the Medium model at batch 8 on this
/// project's 2-core machine: 5,000-55,000 page faults per forward over the first 9 passes (900-1,400
/// ms each instead of about 800), none afterwards; with <see cref="ConfigureForThroughput"/>, none
/// from the second pass and about 745 ms per pass. The trade-off: freed memory stays in the process
/// (up to 1 GiB above what is in use) instead of being returned to the system at once. The same
/// settings can be given to any process through the environment:
/// <c>MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824</c>.
/// The <c>eegdino</c> command-line app applies them at start. Set both or neither: either one turns
/// glibc's adaptive threshold off, and the trim threshold alone maps every block above 128 KiB fresh
/// (measured: 209,000 faults and 2.2-2.6 s per Medium pass).
/// </remarks>
public static class EegDinoAllocator
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

    /// <summary>Blocks below this come from the reusable heap (glibc's maximum for the setting on 64-bit).</summary>
    public const int MmapThresholdBytes = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of the heap is given back to the system only above this.</summary>
    public const int TrimThresholdBytes = 1024 * 1024 * 1024;

    private static readonly Lazy<bool> Applied = new(Apply);

    /// <summary>
    /// On Linux with glibc, sets malloc's mmap threshold to <see cref="MmapThresholdBytes"/> and its
    /// trim threshold to <see cref="TrimThresholdBytes"/> for the whole process; elsewhere it changes
    /// nothing. Call it once at start, before the first forward pass; later calls return the first
    /// call's result.
    /// </summary>
    /// <returns>True when the settings were applied; false on other systems or C libraries.</returns>
    public static bool ConfigureForThroughput() => Applied.Value;

    private static bool Apply()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            _ = gnu_get_libc_version(); // present in glibc only (musl has mallopt as a no-op)
            return mallopt(MmapThreshold, MmapThresholdBytes) == 1 && mallopt(TrimThreshold, TrimThresholdBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    private static extern IntPtr gnu_get_libc_version();
}
