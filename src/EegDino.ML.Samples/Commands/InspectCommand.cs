using System.ComponentModel;
using EegDino.ML.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary><c>eegdino inspect FILE</c>: what a model file holds, without building the network (<see cref="EegDinoCheckpoint.Inspect"/>).</summary>
internal sealed class InspectCommand : Command<InspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE>")]
        [Description("A torch.save checkpoint, a safetensors file or a braindecode folder.")]
        public string File { get; init; } = "";

        [CommandOption("--source <SOURCE>")]
        [Description("Which encoder to describe in a DINO training checkpoint: student or teacher.")]
        [DefaultValue("student")]
        public string Source { get; init; } = "student";

        [CommandOption("--tensors")]
        [Description("List every tensor with its dtype and shape.")]
        public bool Tensors { get; init; }

        public override ValidationResult Validate() => OptionValues.First(OptionValues.Source(Source));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var source = OptionValues.WeightSource(settings.Source);
        string path = settings.File;
        EegDinoCheckpointInfo info = EegDinoCheckpoint.Inspect(path, source);
        Console.WriteLine($"file:     {path}");
        Console.WriteLine($"format:   {info.Format}");
        var dtypes = info.Tensors.GroupBy(t => t.DType).Select(g => $"{g.Count()} {g.Key}");
        Console.WriteLine($"tensors:  {info.Tensors.Count} ({string.Join(", ", dtypes)}), {info.Tensors.Sum(t => t.ValueCount):N0} values");
        if (settings.Tensors)
            foreach (var t in info.Tensors) Console.WriteLine($"  {t.Name,-70} {t.DType,-4} {t.ShapeText}");
        foreach (string note in info.Notes) Console.WriteLine($"note:     {note}");
        foreach (var (k, v) in info.Metadata) Console.WriteLine($"metadata: {k} = {v}");
        Console.WriteLine($"student:  {(info.HasStudent ? "yes" : "no")}");
        Console.WriteLine($"teacher:  {(info.HasTeacher ? "yes" : "no")}");
        bool dino = info.HasStudent || info.HasTeacher;
        Console.WriteLine($"encoder:  {info.EncoderTensorCount} tensors{(dino ? $" from the {settings.Source}" : "")}");
        Console.WriteLine($"head:     {(info.HasHead ? $"yes ({info.RenamedHeadTensorCount} tensors renamed from the fine-tuning names)" : "no")}");
        Console.WriteLine($"skipped:  {info.SkippedSummary}");
        Console.WriteLine(info.Config is not null ? $"config:   {info.Config}" : $"config:   not detected ({info.ConfigError})");
        return ExitCodes.Ok;
    }
}
