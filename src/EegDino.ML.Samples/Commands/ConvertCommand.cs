using System.ComponentModel;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino convert IN --output OUT.safetensors</c>: any checkpoint to plain safetensors in the
/// released key names, read back and checked (<see cref="EegDinoCheckpoint.Convert"/>).
/// </summary>
internal sealed class ConvertCommand : Command<ConvertCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<IN>")]
        [Description("A torch.save checkpoint (.pt/.pth, training or fine-tuning), a safetensors file or a braindecode folder.")]
        public string Input { get; init; } = "";

        [CommandOption("--output <PATH>")]
        [Description("The safetensors file to write; its __metadata__ holds the configuration.")]
        public string? Output { get; init; }

        [CommandOption("--source <SOURCE>")]
        [Description("Which encoder of a DINO training checkpoint: student or teacher.")]
        [DefaultValue("student")]
        public string Source { get; init; } = "student";

        [CommandOption("--dtype <DTYPE>")]
        [Description("Element type of the written tensors: f32, f16 or bf16.")]
        [DefaultValue("f32")]
        public string DType { get; init; } = "f32";

        [CommandOption("--config <FILE>")]
        [Description("The configuration (braindecode keyword names) when it is neither stored nor detectable.")]
        public string? Config { get; init; }

        public override ValidationResult Validate() => OptionValues.First(
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the safetensors file to write.") : null,
            OptionValues.Source(Source),
            Storage(DType) is null ? ValidationResult.Error($"--dtype is '{DType}'; f32, f16 or bf16 was expected.") : null);
    }

    internal static EegDinoPrecision? Storage(string dtype) => dtype switch
    {
        "f32" or "fp32" => EegDinoPrecision.Float32,
        "f16" or "fp16" => EegDinoPrecision.Float16,
        "bf16" => EegDinoPrecision.BFloat16,
        _ => null,
    };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output!;
        OutputGuard.EnsureNotAnInput("--output", output, settings.Input);
        EegDinoConfig? config = settings.Config is null ? null : EegDinoConfig.FromJson(File.ReadAllText(settings.Config));
        var source = OptionValues.WeightSource(settings.Source);
        EegDinoCheckpointInfo written = EegDinoCheckpoint.Convert(settings.Input, output, source, Storage(settings.DType)!.Value, config);
        Console.WriteLine($"{settings.Input} ({settings.Source}): {written.Config}; {(written.HasHead ? "with a" : "no")} head");
        Console.WriteLine($"wrote {output}: {written.Tensors.Count} tensors, {written.Tensors.Sum(t => t.ValueCount)} values as {settings.DType} (read back and checked)");
        return ExitCodes.Ok;
    }
}
