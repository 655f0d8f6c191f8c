using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// The one place where managed signals become network input: the layout check (the channel cap
/// comes from the configuration), the length limit, the NaN/infinity check, the input scale with its
/// overflow check, and the tensor on the device. Used by the runtime (inference) and the training
/// loop, so both see the same errors and the same numbers.
/// </summary>
internal static class EegDinoInput
{
    /// <summary>
    /// The most tokens (global + channels x patches) one recording may have in a forward pass: 4,096,
    /// i.e. 215 s of 19 channels at 200 Hz. Attention costs grow with the square of the token count
    /// (8 heads x 4,096^2 x 4 bytes = 512 MiB of scores per recording where a kernel materialises them),
    /// so longer recordings are cut into windows instead (EegWindower, LoadFromEegRecordings, eegdino embed).
    /// </summary>
    public const int MaxTokensPerRecording = 4096;

    /// <summary>
    /// Checks a batch <c>[B, C, T]</c> given flat (recording by recording, each channel-major) and
    /// returns its layout. Errors name the row, channel and sample of a bad value, and say what to do.
    /// </summary>
    /// <exception cref="ArgumentException">Bad sizes, too long, a NaN or infinite sample, or a sample that overflows after scaling.</exception>
    public static CheckedInput Check(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoConfig config, float inputScale)
    {
        int samples = CheckLayout(signals.Length, batchSize, numberOfChannels, config);
        var (bad, maxAbs) = Scan(signals);
        if (bad >= 0)
        {
            var (row, channel, sample) = Locate(bad, numberOfChannels, samples);
            throw new ArgumentException(
                $"The signal holds {signals[bad]} at batch row {row}, channel {channel}, sample {sample}; EEG-DINO needs finite values (interpolate or drop bad segments first).",
                nameof(signals));
        }
        if ((double)maxAbs * inputScale > float.MaxValue)
        {
            int at = IndexOfAbs(signals, maxAbs);
            var (row, channel, sample) = Locate(at, numberOfChannels, samples);
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The sample {signals[at]:R} at batch row {row}, channel {channel}, sample {sample} times the input scale {inputScale:R} overflows float32; ") +
                "check the input's units and the scale (0.01 for microvolts).", nameof(signals));
        }
        return new CheckedInput(batchSize, numberOfChannels, samples, maxAbs);
    }

    /// <summary>
    /// Checks only the layout of <paramref name="length"/> flat values as <c>[B, C, T]</c> (sizes, channel
    /// slots, the token limit) and returns <c>T</c>; the samples are not read (a GPU runtime checks them
    /// on the device and calls <see cref="Check"/> only to name a bad one).
    /// </summary>
    /// <exception cref="ArgumentException">Bad sizes or too long.</exception>
    public static int CheckLayout(int length, int batchSize, int numberOfChannels, EegDinoConfig config)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize is {batchSize}; at least 1 recording is needed.");
        int slots = config.NumberOfChannelEmbeddings;
        if (numberOfChannels < 1 || numberOfChannels > slots)
        {
            throw new ArgumentOutOfRangeException(nameof(numberOfChannels), numberOfChannels,
                $"numberOfChannels is {numberOfChannels}; the model has {slots} channel slots, so 1 to {slots} channels are accepted.");
        }
        if (length == 0)
            throw new ArgumentException("The signal is empty; at least one sample per channel is needed.", "signals");
        long perSample = (long)batchSize * numberOfChannels;
        if (length % perSample != 0)
        {
            throw new ArgumentException(
                $"The signal has {length} values, which is not {batchSize} recording(s) x {numberOfChannels} channels x a whole number of samples.",
                "signals");
        }
        int samples = (int)(length / perSample);
        if (samples < 1) throw new ArgumentException("The signal is empty; at least one sample per channel is needed.", "signals");
        long patches = (samples + (long)config.PatchSize - 1) / config.PatchSize;
        long tokens = config.NumberOfGlobalTokens + numberOfChannels * patches;
        if (tokens > MaxTokensPerRecording)
        {
            long maxPatches = (MaxTokensPerRecording - config.NumberOfGlobalTokens) / numberOfChannels;
            throw new ArgumentException(
                $"The recording has {samples} samples per channel ({patches} patches x {numberOfChannels} channels = {tokens} tokens); one forward pass takes at most " +
                $"{MaxTokensPerRecording} tokens per recording ({maxPatches} patches = {maxPatches * config.PatchSize} samples of {numberOfChannels} channels), because attention grows with the square of the tokens. " +
                "Cut long recordings into windows: EegWindower, mlContext.Data.LoadFromEegRecordings with EegWindowOptions, or eegdino embed.", "signals");
        }
        return samples;
    }

    /// <summary>
    /// The checked batch as a scaled float32 tensor <c>[B, C, T]</c> on <paramref name="device"/>, in
    /// the caller's dispose scope.
    /// </summary>
    public static Tensor ToTensor(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoConfig config, float inputScale, Device device) =>
        ToTensor(signals, Check(signals, batchSize, numberOfChannels, config, inputScale), inputScale, device, null);

    /// <summary>
    /// An input already checked by <see cref="Check(ReadOnlySpan{float}, int, int, EegDinoConfig, float)"/> as a scaled tensor on the device, in the
    /// caller's dispose scope; <paramref name="staging"/> (a runtime's) reuses a pinned buffer on GPUs.
    /// </summary>
    public static Tensor ToTensor(ReadOnlySpan<float> signals, CheckedInput layout, float inputScale, Device device, HostStaging? staging)
    {
        long[] shape = [layout.BatchSize, layout.NumberOfChannels, layout.SamplesPerChannel];
        Tensor onDevice;
        if (staging is not null)
        {
            onDevice = staging.Upload(signals, shape, device);
        }
        else
        {
            Tensor host = empty(shape, ScalarType.Float32);
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(signals).CopyTo(host.bytes);
            onDevice = device.type == DeviceType.CPU ? host : host.to(device);
        }
        return inputScale == 1f ? onDevice : TorchScalars.Multiply(onDevice, inputScale);
    }

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values) => Scan(values).FirstNonFinite;

    /// <summary>
    /// One vectorised pass: the index of the first NaN or infinity (-1 if none) and the largest
    /// magnitude. Why vectorised: on a GPU the forward pass of a batch of 64 windows takes about as
    /// long as a scalar scan of its 2.4 million samples would, and every batch is scanned.
    /// </summary>
    public static (int FirstNonFinite, float LargestMagnitude) Scan(ReadOnlySpan<float> values)
    {
        var max = System.Numerics.Vector<float>.Zero;
        var limit = new System.Numerics.Vector<float>(float.MaxValue);
        int width = System.Numerics.Vector<float>.Count, i = 0;
        ReadOnlySpan<System.Numerics.Vector<float>> vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(values);
        for (int v = 0; v < vectors.Length; v++, i += width)
        {
            var magnitude = System.Numerics.Vector.Abs(vectors[v]);
            // NaN compares false and infinity exceeds the limit: either leaves a lane unset.
            if (!System.Numerics.Vector.LessThanOrEqualAll(magnitude, limit)) return (i + First(values.Slice(i, width)), float.NaN);
            max = System.Numerics.Vector.Max(max, magnitude);
        }
        float largest = 0;
        for (int lane = 0; lane < width; lane++) largest = Math.Max(largest, max[lane]);
        for (; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return (i, float.NaN);
            largest = Math.Max(largest, Math.Abs(values[i]));
        }
        return (-1, largest);

        static int First(ReadOnlySpan<float> span)
        {
            for (int k = 0; k < span.Length; k++)
            {
                if (!float.IsFinite(span[k])) return k;
            }
            return 0;
        }
    }

    private static (int Row, int Channel, int Sample) Locate(int index, int channels, int samples) =>
        (index / (channels * samples), index / samples % channels, index % samples);

    private static int IndexOfAbs(ReadOnlySpan<float> values, float abs)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (Math.Abs(values[i]) == abs) return i;
        }
        return 0;
    }
}

/// <summary>The layout of an input that <see cref="EegDinoInput.Check(ReadOnlySpan{float}, int, int, EegDinoConfig, float)"/> accepted, and its largest magnitude.</summary>
internal readonly record struct CheckedInput(int BatchSize, int NumberOfChannels, int SamplesPerChannel, float LargestMagnitude);
