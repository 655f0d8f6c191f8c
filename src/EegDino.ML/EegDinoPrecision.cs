namespace EegDino.ML;

/// <summary>
/// The number type the encoder computes in. Inputs and outputs are always float32; only the
/// network's arithmetic changes. <see cref="Float32"/> is the default and the parity mode (NRMSE
/// about 4e-7 against PyTorch's float64 reference); the reduced types trade accuracy for speed on
/// hardware with fast paths for them (Intel AMX or AVX512-BF16 CPUs, NVIDIA GPUs). docs/encoder.md
/// gives the measured accuracy cost and which operations stay in float32.
/// </summary>
public enum EegDinoPrecision
{
    /// <summary>IEEE float32 throughout (default; the parity mode).</summary>
    Float32,

    /// <summary>bfloat16 for the matrix work, float32 for the numerically sensitive steps.</summary>
    BFloat16,

    /// <summary>float16 for the matrix work, float32 for the numerically sensitive steps.</summary>
    Float16,
}
