using System.Globalization;

namespace EegDino.ML.Onnx;

/// <summary>
/// The input contract written into the model's <c>metadata_props</c> (ONNX Runtime's
/// <c>ModelMetadata.CustomMetadataMap</c>), so that a file states the input it expects, as torchvision
/// weights carry their preprocessing: channel slots and the conventional electrode order, sampling
/// rate, input scale and units, patch size, the configuration JSON, precision and outputs.
/// </summary>
internal static class OnnxModelMetadata
{
    /// <summary>EEG-DINO was pre-trained on 200 Hz EEG; the patch size of 200 samples is one second.</summary>
    public const int SamplingRateHz = 200;

    public static IReadOnlyList<KeyValuePair<string, string>> Describe(EegDinoConfig config, float inputScale, OnnxExportSettings settings)
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        var entries = new List<KeyValuePair<string, string>>
        {
            new("eegdino.input", $"{EegDinoOnnxExporter.InputName}: float32 [batch, channels, samples], 1 to {I(config.NumberOfChannelEmbeddings)} channels at {I(SamplingRateHz)} Hz; any length (right-padded with zeros to whole patches inside the graph)"),
            new("eegdino.channel_slots", I(config.NumberOfChannelEmbeddings)),
            new("eegdino.channel_order", "input channel i uses channel slot i; conventional 10-20 order (EegDino.ML's default montage): " + string.Join(",", Eeg.MontageMapper.DefaultChannelOrder)),
            new("eegdino.sampling_rate_hz", I(SamplingRateHz)),
            new("eegdino.input_scale", inputScale.ToString("R", CultureInfo.InvariantCulture)),
            new("eegdino.input_units", inputScale == 0.01f
                ? "microvolts (the graph divides by 100, the scale the released model was pre-trained on)"
                : $"the units for which input x {inputScale.ToString("R", CultureInfo.InvariantCulture)} is microvolts / 100"),
            new("eegdino.patch_size", I(config.PatchSize)),
            new("eegdino.config", config.ToJson()),
            new("eegdino.precision", settings.ComputeType == OnnxProto.DataType.Float16
                ? "float16 matrix work (MatMul, Conv weights in float16); float32 input, output, normalisation, softmax, spectrum"
                : "float32"),
            new("eegdino.spectrum", settings.Spectrum == OnnxSpectrumMethod.DftOperator ? "DFT operator" : "MatMul with a fixed real DFT basis"),
            new("eegdino.outputs", string.Join(",", settings.Outputs)),
        };
        if (settings.HeadClasses is int classes) entries.Add(new("eegdino.head_classes", I(classes)));
        return entries;
    }
}
