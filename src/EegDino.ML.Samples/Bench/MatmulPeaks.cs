using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Samples.Bench;

/// <summary>A matmul peak: GFLOP/s and the side of the square matrices it was measured on.</summary>
internal readonly record struct MatmulPeak(double Gflops, int Size);

/// <summary>
/// The machine's matrix-multiply peak per number type, measured in the run that times the encoder
/// so that "% of peak" compares like with like on a noisy machine: the best of several square
/// matmuls (2048 on the CPU; 8192 on CUDA, with the device synchronised around each timing).
/// </summary>
internal static class MatmulPeaks
{
    /// <summary>Longest time one matmul may take: a type without a fast path (bf16 on a CPU without AVX512-BF16) is measured on smaller matrices.</summary>
    private const double MaximumSecondsPerMatmul = 1.0;

    /// <summary>Stop repeating once the timed matmuls took this long (at least 3 are timed).</summary>
    private const double BudgetSeconds = 5.0;

    /// <summary>The peak key of a compute type: fp32, tf32 (CUDA float32 on tensor cores), bf16, fp16.</summary>
    public static string Key(EegDinoPrecision precision) => Cli.OptionValues.Name(precision);

    /// <summary>The best GFLOP/s of up to 8 timed matmuls (after an untimed one) of <paramref name="key"/>'s type on <paramref name="device"/>.</summary>
    public static MatmulPeak Measure(string key, Device device)
    {
        bool onCuda = device.type == DeviceType.CUDA;
        ScalarType type = key switch
        {
            "bf16" => ScalarType.BFloat16,
            "fp16" => ScalarType.Float16,
            _ => ScalarType.Float32,
        };
        bool tf32Before = onCuda && backends.cuda.matmul.allow_tf32;
        if (onCuda) backends.cuda.matmul.allow_tf32 = key == "tf32";
        try
        {
            int n = onCuda ? 8192 : 2048;
            // A slow type would take minutes at full size: estimate from a small matmul and shrink.
            double probe = Time(512, type, device, onCuda, out _);
            while (n > 256 && probe * Math.Pow(n / 512.0, 3) > MaximumSecondsPerMatmul) n /= 2;
            double best = 0, spent = 0;
            for (int i = 0; i < 8 && (i < 3 || spent < BudgetSeconds); i++)
            {
                best = Math.Max(best, 2.0 * n * n * n / Time(n, type, device, onCuda, out double seconds) / 1e9);
                spent += seconds;
            }
            return new MatmulPeak(best, n);
        }
        finally
        {
            if (onCuda) backends.cuda.matmul.allow_tf32 = tf32Before;
        }
    }

    /// <summary>
    /// Seconds of one n x n product in the network's layout, <c>x W^T</c> (<c>nn.functional.linear</c>, as
    /// every weight matmul of the encoder), after an untimed one on the same operands. Why that layout:
    /// on CPUs without a bfloat16 path libtorch runs <c>a.matmul(b)</c> in bfloat16 about 100 times
    /// slower than <c>linear</c>, so a plain matmul would understate the peak the network can reach.
    /// </summary>
    private static double Time(int n, ScalarType type, Device device, bool onCuda, out double seconds)
    {
        using var a = randn([n, n], dtype: type, device: device);
        using var b = randn([n, n], dtype: type, device: device);
        nn.functional.linear(a, b).Dispose();
        if (onCuda) cuda.synchronize();
        var watch = Stopwatch.StartNew();
        using (var c = nn.functional.linear(a, b))
        {
            if (onCuda) cuda.synchronize();
            seconds = watch.Elapsed.TotalSeconds;
        }
        return seconds;
    }
}
