using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Where a batch's samples go on their way from managed memory to the network's device, one copy
/// each way. On the CPU the samples are copied straight into a new libtorch tensor (no managed
/// array per batch). On a GPU they are copied into a page-locked host buffer, reused from batch to
/// batch and grown when needed, and sent with a non-blocking copy: pinned memory is what lets the
/// GPU read it by DMA at full speed, where pageable memory goes through a driver-side bounce copy.
/// The buffer can be reused at the next batch because each forward pass ends by reading its result
/// back, which waits for the copy. Owned by one runtime and used under its lock.
/// </summary>
internal sealed class HostStaging : IDisposable
{
    private Tensor? _pinned;

    /// <summary>The samples as a float32 tensor of <paramref name="shape"/> on <paramref name="device"/>, in the caller's dispose scope.</summary>
    public Tensor Upload(ReadOnlySpan<float> values, long[] shape, Device device)
    {
        if (device.type == DeviceType.CPU)
        {
            Tensor host = empty(shape, ScalarType.Float32);
            MemoryMarshal.AsBytes(values).CopyTo(host.bytes);
            return host;
        }
        if (_pinned is null || _pinned.shape[0] < values.Length)
        {
            _pinned?.Dispose();
            using var scope = NewDisposeScope(); // roots the unpinned temporary until pin_memory returns
            _pinned = empty([Math.Max(values.Length, 1 << 20)], ScalarType.Float32).pin_memory().DetachFromDisposeScope();
        }
        MemoryMarshal.AsBytes(values).CopyTo(_pinned.bytes);
        return _pinned.narrow(0, 0, values.Length).view(shape).to(device, copy: false, disposeAfter: false, non_blocking: true);
    }

    /// <summary>Copies a result back into managed memory (a contiguous float32 copy on the CPU first when needed).</summary>
    public static void Download(Tensor result, Span<float> destination)
    {
        using var scope = NewDisposeScope();
        Tensor host = result.device_type == DeviceType.CPU && result.dtype == ScalarType.Float32 && result.is_contiguous()
            ? result : result.to(ScalarType.Float32, CPU).contiguous();
        ReadOnlySpan<float> values = MemoryMarshal.Cast<byte, float>(host.bytes);
        if (values.Length != destination.Length)
            throw new ArgumentException($"The result has {values.Length} values; the destination holds {destination.Length}.", nameof(destination));
        values.CopyTo(destination);
    }

    public void Dispose()
    {
        _pinned?.Dispose();
        _pinned = null;
    }
}
