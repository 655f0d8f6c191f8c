namespace EegDino.ML.Weights;

/// <summary>
/// One named tensor as read from a weights file, already converted to float32, row-major, in the
/// PyTorch layout of the source (Linear <c>[out, in]</c>, Conv2d <c>[out, in/groups, kH, kW]</c>).
/// Every checkpoint reader (safetensors, torch .pt, braindecode folder) produces these; the
/// network loader consumes them.
/// </summary>
internal sealed class WeightTensor
{
    public WeightTensor(long[] shape, float[] data, string sourceDType = "F32")
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d} in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {count} values; {data.Length} were given.", nameof(data));
        Shape = shape;
        Data = data;
        SourceDType = sourceDType;
    }

    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>Values, row-major, float32.</summary>
    public float[] Data { get; }

    /// <summary>The dtype the values had in the file (F32, F16, BF16), for reports.</summary>
    public string SourceDType { get; }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
