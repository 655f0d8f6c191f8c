using System.Globalization;

namespace EegDino.ML.Onnx;

/// <summary>
/// The input contract written into the model's <c>metadata_props</c> (ONNX Runtime's
/// <c>ModelMetadata.CustomMetadataMap</c>), so that a file states the input it expects, as torchvision
/// weights carry their preprocessing: the encoder's <see cref="EegDinoInputContract"/> (as JSON, the
/// form this library saves with models, and spelled out: channel order, sampling rate, input scale
/// and units, patch size), the channel slots, the configuration JSON, precision and outputs.
/// </summary>
internal static class OnnxModelMetadata
{
    public static IReadOnlyList<KeyValuePair<string, string>> Describe(EegDinoConfig config, EegDinoInputContract contract, OnnxExportSettings settings)
    {
        static string I(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        string scale = contract.InputScale.ToString("R", CultureInfo.InvariantCulture);
        var entries = new List<KeyValuePair<string, string>>
        {
            new("eegdino.input", $"{EegDinoOnnxExporter.InputName}: float32 [batch, channels, samples], 1 to {I(config.NumberOfChannelEmbeddings)} channels (channel i uses channel slot i) at {I(contract.SamplesPerSecond)} Hz; any length (right-padded with zeros to whole patches inside the graph)"),
            new("eegdino.input_contract", contract.ToJson()),
            new("eegdino.channel_slots", I(config.NumberOfChannelEmbeddings)),
            new("eegdino.channel_order", contract.ChannelNames is { } names
                ? string.Join(",", names)
                : "unnamed (input channel i uses channel slot i); the library's default montage order is " + string.Join(",", Eeg.MontageMapper.DefaultChannelOrder)),
            new("eegdino.sampling_rate_hz", I(contract.SamplesPerSecond)),
            new("eegdino.input_scale", scale),
            new("eegdino.input_units", contract.InputScale == 0.01f
                ? "microvolts (the graph divides by 100, the scale the released model was pre-trained on)"
                : $"the units for which input x {scale} is microvolts / 100"),
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
