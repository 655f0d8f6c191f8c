namespace EegDino.ML.Onnx;

/// <summary>Export options after validation against the model: the output list resolved, the compute type chosen.</summary>
internal sealed record OnnxExportSettings(int Opset, OnnxProto.DataType ComputeType, OnnxSpectrumMethod Spectrum,
    IReadOnlyList<string> Outputs, int? HeadClasses)
{
    /// <summary>Checks <paramref name="options"/> for a model with <paramref name="headClasses"/> (null: no head); messages name the value and what was expected.</summary>
    public static OnnxExportSettings Resolve(EegDinoOnnxExportOptions options, int? headClasses)
    {
        if (options.Opset < EegDinoOnnxExporter.MinimumOpset || options.Opset > EegDinoOnnxExporter.MaximumOpset)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset,
                $"Opset is {options.Opset}; the exporter writes opsets {EegDinoOnnxExporter.MinimumOpset} to {EegDinoOnnxExporter.MaximumOpset}.");
        var type = options.Precision switch
        {
            EegDinoPrecision.Float32 => OnnxProto.DataType.Float,
            EegDinoPrecision.Float16 => OnnxProto.DataType.Float16,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Precision,
                $"Precision is {options.Precision}; ONNX export supports Float32 and Float16."),
        };
        if (!Enum.IsDefined(options.Spectrum))
            throw new ArgumentOutOfRangeException(nameof(options), options.Spectrum, "Unknown spectrum method.");

        IReadOnlyList<string> outputs;
        if (options.Outputs is null)
        {
            outputs = EegDinoOnnxExporter.OutputNames.Where(n => n != "logits" || headClasses is not null).ToArray();
        }
        else
        {
            if (options.Outputs.Count == 0)
                throw new ArgumentException($"Outputs is empty; name at least one of {string.Join(", ", EegDinoOnnxExporter.OutputNames)} (or leave it null for all).", nameof(options));
            foreach (string name in options.Outputs)
            {
                if (!EegDinoOnnxExporter.OutputNames.Contains(name, StringComparer.Ordinal))
                    throw new ArgumentException($"Outputs holds '{name}'; expected {string.Join(", ", EegDinoOnnxExporter.OutputNames)}.", nameof(options));
                if (name == "logits" && headClasses is null)
                    throw new ArgumentException("Outputs holds 'logits', but the model has no classification head (final_layer.*).", nameof(options));
            }
            var repeated = options.Outputs.GroupBy(n => n, StringComparer.Ordinal).Where(x => x.Count() > 1).Select(x => x.Key).ToArray();
            if (repeated.Length > 0)
                throw new ArgumentException($"Outputs names {string.Join(", ", repeated)} more than once; each output can be exported once.", nameof(options));
            outputs = options.Outputs.ToArray();
        }
        return new OnnxExportSettings(options.Opset, type, options.Spectrum, outputs, outputs.Contains("logits") ? headClasses : null);
    }
}
