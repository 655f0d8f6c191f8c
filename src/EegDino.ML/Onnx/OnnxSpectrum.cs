namespace EegDino.ML.Onnx;

/// <summary>How the exported graph computes the patch spectrum <c>|rfft(x, norm="forward")|</c>.</summary>
internal enum OnnxSpectrumMethod
{
    /// <summary>
    /// One MatMul with a fixed real DFT basis <c>[patch_size, 2 * bins]</c> (cosines and negated sines,
    /// already divided by patch_size), then <c>sqrt(re^2 + im^2)</c>. The default: as accurate as the
    /// DFT operator and faster on ONNX Runtime's CPU provider, and every execution provider has MatMul
    /// (docs/onnx.md has the measurement).
    /// </summary>
    BasisMatMul,

    /// <summary>ONNX's <c>DFT</c> operator (opset 17), one-sided, then the L2 norm of (re, im) divided by patch_size.</summary>
    DftOperator,
}

/// <summary>
/// Mirrors the frequency branch of <c>PatchEmbedding</c>: <c>torch.fft.rfft(patches, dim=-1,
/// norm="forward").abs()</c>, <c>[B, C, P, patch_size]</c> -> <c>[B, C, P, patch_size / 2 + 1]</c>,
/// always in float32 (also in a float16 export: the magnitudes feed a linear layer directly and the
/// basis matmul is a small part of the work).
/// </summary>
internal static class OnnxSpectrum
{
    public static string Magnitude(OnnxGraphBuilder g, string patches, int patchSize, OnnxSpectrumMethod method)
    {
        using var scope = g.Scope("spectrum");
        return method == OnnxSpectrumMethod.DftOperator ? WithDft(g, patches, patchSize) : WithBasis(g, patches, patchSize);
    }

    private static string WithBasis(OnnxGraphBuilder g, string patches, int patchSize)
    {
        int bins = patchSize / 2 + 1;
        string basis = g.Float32("patch_embedding.spectrum_basis", [patchSize, 2 * bins], Basis(patchSize));
        string y = g.MatMul(patches, basis);                          // [B, C, P, 2 * bins]
        string re = g.Slice(y, [0], [bins], [3]);
        string im = g.Slice(y, [bins], [2 * bins], [3]);
        return g.Node("Sqrt", [g.Add(g.Mul(re, re), g.Mul(im, im))]); // [B, C, P, bins]
    }

    /// <summary>
    /// The real DFT basis with forward normalisation, <c>[n, 2 * bins]</c> row-major: column k is
    /// <c>cos(2 pi k t / n) / n</c>, column bins + k is <c>-sin(2 pi k t / n) / n</c>. The angle is reduced
    /// exactly (k t mod n) and evaluated in float64 before rounding to float32.
    /// </summary>
    internal static float[] Basis(int n)
    {
        int bins = n / 2 + 1;
        var basis = new float[n * 2 * bins];
        for (int t = 0; t < n; t++)
        {
            for (int k = 0; k < bins; k++)
            {
                double angle = 2 * Math.PI * ((long)k * t % n) / n;
                basis[t * 2 * bins + k] = (float)(Math.Cos(angle) / n);
                basis[t * 2 * bins + bins + k] = (float)(-Math.Sin(angle) / n);
            }
        }
        return basis;
    }

    private static string WithDft(OnnxGraphBuilder g, string patches, int patchSize)
    {
        string real = g.Reshape(patches, 0, 0, 0, patchSize, 1);    // [B, C, P, n, 1]: a real signal
        var onesided = OnnxAttribute.Int("onesided", 1);
        // The signal axis is an attribute before opset 20 and an optional input (default -2) from 20.
        string spectrum = g.Opset >= 20
            ? g.Node("DFT", [real, "", g.Int64Scalar(3)], [onesided])
            : g.Node("DFT", [real], [onesided, OnnxAttribute.Int("axis", 3)]); // [B, C, P, bins, 2]
        string magnitude = g.Reduce("ReduceL2", spectrum, [4], keepDims: false);
        return g.Div(magnitude, g.Scalar(patchSize, OnnxProto.DataType.Float));
    }
}
