using EegDino.ML.Model;
using EegDino.ML.Weights;

namespace EegDino.ML.Samples.Commands;

/// <summary><c>eegdino convert IN OUT.safetensors</c>: any checkpoint to plain safetensors in the released key names.</summary>
internal sealed class ConvertCommand : ICommand
{
    public string Name => "convert";

    public string Summary => "Convert a checkpoint (.pt, safetensors, folder) to safetensors in the released key names";

    public string Usage => """
        usage: eegdino convert IN OUT.safetensors [--source student|teacher] [--dtype f32|f16|bf16] [--config CONFIG.json]
          IN        a torch.save checkpoint (.pt/.pth, training or fine-tuning), a safetensors file or a braindecode folder
          OUT       the safetensors file to write; its __metadata__ holds the configuration
          --source  which encoder of a DINO training checkpoint (default student)
          --dtype   precision of the written tensors (default f32)
          --config  the configuration (braindecode keyword names) when it is neither stored nor detectable
        """;

    public int Run(CommandArgs args)
    {
        var source = ParseSource(args.Optional("source"));
        var dtype = args.Optional("dtype") switch
        {
            null or "f32" => SafetensorsDType.F32,
            "f16" => SafetensorsDType.F16,
            "bf16" => SafetensorsDType.BF16,
            string other => throw new UsageException($"--dtype is '{other}'; f32, f16 or bf16 was expected."),
        };
        string? configPath = args.Optional("config");
        args.EnsureAllUsed();
        if (args.Positional.Count != 2) throw new UsageException($"convert takes IN and OUT; {args.Positional.Count} arguments were given.");
        EegDinoConfig? config = configPath is null ? null : EegDinoConfig.FromJson(File.ReadAllText(configPath));

        var weights = CheckpointConverter.Convert(args.Positional[0], args.Positional[1], source, dtype, config);
        Console.WriteLine(weights.Description);
        Console.WriteLine($"wrote {args.Positional[1]}: {weights.Tensors.Count} tensors, {weights.Tensors.Values.Sum(t => (long)t.Data.Length)} values as {dtype}");
        return 0;
    }

    internal static EegDinoWeightSource ParseSource(string? value) => value switch
    {
        null or "student" => EegDinoWeightSource.Student,
        "teacher" => EegDinoWeightSource.Teacher,
        _ => throw new UsageException($"--source is '{value}'; student or teacher was expected."),
    };
}
