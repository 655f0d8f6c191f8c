using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Samples.Bench;

/// <summary>
/// The machine's matrix-multiply peak per number type, measured in the run that times the encoder
/// so that "% of peak" compares like with like on a noisy machine: the best of several square
/// matmuls (2048 on the CPU; 8192 on CUDA, with the device synchronised around each timing).
/// </summary>
internal static class MatmulPeaks
{
    /// <summary>The peak key of a compute type: fp32, tf32 (CUDA float32 on tensor cores), bf16, fp16.</summary>
    public static string Key(EegDinoPrecision precision) => Cli.OptionValues.Name(precision);

    /// <summary>GFLOP/s of the best of 8 matmuls (the first untimed) of <paramref name="key"/>'s type on <paramref name="device"/>.</summary>
    public static double Measure(string key, Device device)
    {
        bool cudaDevice = device.type == DeviceType.CUDA;
        int n = cudaDevice ? 8192 : 2048;
        ScalarType type = key switch
        {
            "bf16" => ScalarType.BFloat16,
            "fp16" => ScalarType.Float16,
            _ => ScalarType.Float32,
        };
        bool tf32Before = cudaDevice && backends.cuda.matmul.allow_tf32;
        if (cudaDevice) backends.cuda.matmul.allow_tf32 = key == "tf32";
        try
        {
            using var a = randn([n, n], dtype: type, device: device);
            using var b = randn([n, n], dtype: type, device: device);
            double best = 0;
            var watch = new Stopwatch();
            for (int i = 0; i < 8; i++)
            {
                if (cudaDevice) cuda.synchronize();
                watch.Restart();
                using (var c = a.matmul(b))
                {
                    if (cudaDevice) cuda.synchronize();
                    watch.Stop();
                }
                if (i > 0) best = Math.Max(best, 2.0 * n * n * n / watch.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
        finally
        {
            if (cudaDevice) backends.cuda.matmul.allow_tf32 = tf32Before;
        }
    }
}
