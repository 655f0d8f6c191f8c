using System.ComponentModel;
using EegDino.ML.Onnx;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino export-onnx --model M --output model.onnx</c>: the encoder (and head) as an ONNX graph
/// for ONNX Runtime and ML.NET's <c>ApplyOnnxModel</c> on GPUs of any vendor (docs/onnx.md). The
/// input scale is applied inside the graph; the input contract is in its metadata.
/// </summary>
internal sealed class ExportOnnxCommand : Command<ExportOnnxCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--output <PATH>")]
        [Description("The .onnx file to write (written under a temporary name, then renamed).")]
        public string? Output { get; init; }

        [CommandOption("--outputs <NAMES>")]
        [Description("Comma-separated graph outputs: encoder_output, global_token, pooled_mean, logits (default: all the model has).")]
        public string? Outputs { get; init; }

        [CommandOption("--opset <N>")]
        [Description("The ONNX opset, 17 to 23.")]
        [DefaultValue(17)]
        public int Opset { get; init; }

        public string[]? OutputList => Outputs?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        protected override ValidationResult? ValidateCommand() => OptionValues.First(
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the .onnx file to write.") : null,
            Opset is >= EegDinoOnnxExporter.MinimumOpset and <= EegDinoOnnxExporter.MaximumOpset
                ? null : ValidationResult.Error($"--opset is {Opset}; {EegDinoOnnxExporter.MinimumOpset} to {EegDinoOnnxExporter.MaximumOpset} was expected."),
            Precision is "fp32" or "fp16" ? null : ValidationResult.Error($"--precision is '{Precision}'; an ONNX export is fp32 or fp16."),
            OutputList?.FirstOrDefault(o => !EegDinoOnnxExporter.OutputNames.Contains(o)) is { } unknown
                ? ValidationResult.Error($"--outputs names '{unknown}'; expected some of {string.Join(", ", EegDinoOnnxExporter.OutputNames)}.") : null,
            Device is "cpu" ? null : ValidationResult.Error($"--device is '{Device}'; the export reads the weights on the CPU (choose the device in ONNX Runtime)."));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        OutputGuard.EnsureNotAnInput("--output", output, settings.Model!);
        var export = new EegDinoOnnxExportOptions
        {
            Outputs = settings.OutputList,
            Precision = settings.ComputePrecision,
            Opset = settings.Opset,
        };
        // The model is read at the precision the weights are stored in; the export's precision is its own.
        var model = settings.ToEncoderOptions();
        model.Precision = EegDinoPrecision.Float32;
        using var encoder = EegDinoEncoder.Load(settings.Model!, model);
        EegDinoOnnxExporter.Export(encoder, output, export);
        Console.WriteLine($"model: {encoder.Description}");
        Console.WriteLine($"wrote {output} ({new FileInfo(output).Length / 1e6:F1} MB, opset {settings.Opset}, {settings.Precision}; input 'input' [B, C, T] in the units --scale expects; contract: {encoder.InputContract})");
        return ExitCodes.Ok;
    }
}
