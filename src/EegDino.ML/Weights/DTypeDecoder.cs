using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace EegDino.ML.Weights;

/// <summary>
/// The element types of stored tensors, named as safetensors names them (<c>F32</c>, <c>BF16</c>,
/// <c>I64</c>...; torch storages map to the same names), and the one decoder of their little-endian
/// bytes into float32 weights, shared by <see cref="SafetensorsReader"/> and
/// <see cref="Torch.TorchCheckpointReader"/>. Float types (<see cref="IsFloat"/>) are converted; the
/// others have a known size, so that their bytes can be checked and skipped, and are never weights.
/// </summary>
internal static class DTypeDecoder
{
    private static readonly Dictionary<string, int> Sizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2,
        ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1,
        ["U64"] = 8, ["U32"] = 4, ["U16"] = 2, ["U8"] = 1,
        ["BOOL"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
        ["C64"] = 8, ["C128"] = 16,
    };

    /// <summary>The dtypes converted to float32 weights, as a list for messages.</summary>
    public const string FloatTypes = "F32, F16, BF16 or F64";

    /// <summary>Bytes per element, or null for a dtype this library does not know.</summary>
    public static int? ElementSize(string dtype) => Sizes.TryGetValue(dtype, out int size) ? size : null;

    /// <summary>True for the dtypes <see cref="ToFloat32"/> converts: F32 (as is), F16, BF16, F64 (rounded to nearest).</summary>
    public static bool IsFloat(string dtype) => dtype is "F32" or "F16" or "BF16" or "F64";

    /// <summary>Decodes little-endian <paramref name="raw"/> elements of <paramref name="dtype"/> into float32.</summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a float dtype, or the byte count is not a whole number of elements.</exception>
    public static float[] ToFloat32(ReadOnlySpan<byte> raw, string dtype)
    {
        if (!IsFloat(dtype)) throw new ArgumentException($"dtype {dtype} is not converted to float32 (only {FloatTypes}).", nameof(dtype));
        int size = Sizes[dtype];
        if (raw.Length % size != 0) throw new ArgumentException($"{raw.Length} bytes are not a whole number of {dtype} elements.", nameof(raw));
        var result = new float[raw.Length / size];
        switch (dtype)
        {
            case "F32":
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(raw).CopyTo(result);
                else for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                break;
            case "F16":
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                break;
            case "BF16":
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < result.Length; i++) result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16);
                break;
            default: // F64
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                break;
        }
        return result;
    }
}
