namespace EegDino.ML;

/// <summary>Options of <see cref="EegDinoOnnxExporter"/>. The defaults export every output in float32 at opset 17.</summary>
public sealed class EegDinoOnnxExportOptions
{
    /// <summary>
    /// The graph outputs to export, by name: any of <c>encoder_output</c>, <c>global_token</c>,
    /// <c>pooled_mean</c> and <c>logits</c> (see <see cref="EegDinoOnnxExporter.OutputNames"/>). Null (the
    /// default) exports all of them, <c>logits</c> only when the model has a classification head. Asking
    /// for <c>logits</c> from a model without a head is an error. ONNX Runtime computes only what the
    /// exported outputs need, so a graph of <c>pooled_mean</c> alone skips the head.
    /// </summary>
    public IReadOnlyList<string>? Outputs { get; set; }

    /// <summary>
    /// <see cref="EegDinoPrecision.Float32"/> (default; the parity mode) or <see cref="EegDinoPrecision.Float16"/>:
    /// weights of the matrix work (MatMul, Conv) and that work in float16, with float32 input and
    /// outputs and float32 normalisation, softmax, spectrum and residual stream; for GPU execution
    /// providers (DirectML, CUDA, CoreML). <see cref="EegDinoPrecision.BFloat16"/> is not offered:
    /// few execution providers run bfloat16 matrix products.
    /// </summary>
    public EegDinoPrecision Precision { get; set; } = EegDinoPrecision.Float32;

    /// <summary>
    /// The ONNX opset (default 17, the first with <c>LayerNormalization</c> and <c>DFT</c>, widely
    /// supported by execution providers), from <see cref="EegDinoOnnxExporter.MinimumOpset"/> to
    /// <see cref="EegDinoOnnxExporter.MaximumOpset"/>.
    /// </summary>
    public int Opset { get; set; } = 17;

    /// <summary>How the spectrum is computed; a measurement switch (docs/onnx.md), not a user choice.</summary>
    internal Onnx.OnnxSpectrumMethod Spectrum { get; set; } = Onnx.OnnxSpectrumMethod.BasisMatMul;

    internal EegDinoOnnxExportOptions Clone()
    {
        var copy = (EegDinoOnnxExportOptions)MemberwiseClone();
        copy.Outputs = Outputs?.ToArray();
        return copy;
    }
}
