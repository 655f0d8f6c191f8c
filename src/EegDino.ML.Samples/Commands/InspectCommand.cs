using EegDino.ML.Weights;

namespace EegDino.ML.Samples.Commands;

/// <summary><c>eegdino inspect FILE</c>: what a model file holds, without building the network.</summary>
internal sealed class InspectCommand : ICommand
{
    public string Name => "inspect";

    public string Summary => "Show a checkpoint's format, tensors, configuration and student/teacher/head presence";

    public string Usage => """
        usage: eegdino inspect FILE [--source student|teacher] [--tensors]
          FILE       a torch.save checkpoint, a safetensors file or a braindecode folder
          --source   which encoder to describe in a DINO training checkpoint (default student)
          --tensors  list every tensor with dtype and shape
        """;

    public int Run(CommandArgs args)
    {
        var source = ConvertCommand.ParseSource(args.Optional("source"));
        bool list = args.Flag("tensors");
        args.EnsureAllUsed();
        if (args.Positional.Count != 1) throw new UsageException($"inspect takes one FILE; {args.Positional.Count} arguments were given.");
        string path = args.Positional[0];

        var contents = CheckpointReader.Read(path);
        Console.WriteLine($"file:     {path}");
        Console.WriteLine($"format:   {contents.Format}");
        long values = contents.Tensors.Values.Sum(t => (long)t.Data.Length);
        var dtypes = contents.Tensors.Values.GroupBy(t => t.SourceDType).Select(g => $"{g.Count()} {g.Key}");
        Console.WriteLine($"tensors:  {contents.Tensors.Count} ({string.Join(", ", dtypes)}), {values:N0} values");
        if (list)
        {
            foreach (var (key, t) in contents.Tensors) Console.WriteLine($"  {key,-70} {t.SourceDType,-4} {t.ShapeText}");
        }
        foreach (string note in contents.Notes) Console.WriteLine($"note:     {note}");
        foreach (var (k, v) in contents.Metadata.Where(kv => kv.Key != "config")) Console.WriteLine($"metadata: {k} = {v}");

        var mapping = CheckpointKeyMapper.MapDetailed(contents.Tensors, source);
        Console.WriteLine($"student:  {(mapping.HasStudent ? "yes" : "no")}");
        Console.WriteLine($"teacher:  {(mapping.HasTeacher ? "yes" : "no")}");
        bool dino = mapping.HasStudent || mapping.HasTeacher;
        Console.WriteLine($"encoder:  {mapping.Tensors.Count(kv => !kv.Key.StartsWith("final_layer.", StringComparison.Ordinal))} tensors{(dino ? $" from the {source.ToString().ToLowerInvariant()}" : "")}");
        Console.WriteLine($"head:     {(mapping.HasHead ? $"yes ({mapping.RenamedHead.Count} tensors renamed from the fine-tuning names)" : "no")}");
        Console.WriteLine($"skipped:  {CheckpointKeyMapper.Summarise(mapping.Skipped)}");
        try
        {
            var weights = NetworkWeights.FromContents(contents, source, null, path);
            Console.WriteLine($"config:   {weights.Config}");
        }
        catch (EegDinoModelFormatException e)
        {
            Console.WriteLine($"config:   not detected ({e.Message})");
        }
        return 0;
    }
}
