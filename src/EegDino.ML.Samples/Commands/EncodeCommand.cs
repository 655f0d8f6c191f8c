using EegDino.ML.Weights;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino encode</c>: runs the encoder (and the head, if the model has one) on a tensor read from
/// a safetensors file and writes the outputs to another. This is how Python users exchange tensors
/// with the library and how parity is checked from outside.
/// </summary>
internal sealed class EncodeCommand : ICommand
{
    public string Name => "encode";

    public string Summary => "Encode a [B, C, T] or [C, T] tensor from a safetensors file; write the embeddings.";

    public string Usage => """
        usage: eegdino encode --model PATH --input IN.safetensors --output OUT.safetensors
                              [--scale S] [--config CONFIG.json] [--source student|teacher] [--device cpu|cuda]

          --model   a model: safetensors file, braindecode-style folder (config.json + model.safetensors)
                    or torch .pt checkpoint
          --input   safetensors file with a float tensor 'input' of shape [B, C, T] or [C, T]
                    (1 to 19 channels at 200 Hz; any length, right-padded to whole 200-sample patches)
          --output  written with encoder_output [B, G + C*P, D], global_token [B, D], pooled_mean [B, D],
                    and logits [B, n] when the model has a classification head
          --scale   factor applied to the input (default 0.01: input in microvolts, as the released
                    model expects microvolts / 100; use 1 for input already scaled)
          --config  architecture in braindecode's EEGDINO keyword names, for custom models that carry none
          --source  encoder of a training checkpoint holding both (default student)
        """;

    public int Run(CommandArgs args)
    {
        string model = args.Required("model");
        string input = args.Required("input");
        string output = args.Required("output");
        var options = ModelOptions.FromArgs(args);
        args.EnsureAllUsed();

        var (tensors, _) = SafetensorsReader.Read(input);
        if (!tensors.TryGetValue("input", out var signal))
            throw new UsageException($"{input} holds no tensor named 'input' (it has: {string.Join(", ", tensors.Keys)}).");
        long[] shape = signal.Shape.Length switch
        {
            3 => signal.Shape,
            2 => [1, signal.Shape[0], signal.Shape[1]],
            _ => throw new UsageException($"'input' has shape [{string.Join(", ", signal.Shape)}]; [B, C, T] or [C, T] was expected."),
        };
        int batch = checked((int)shape[0]), channels = checked((int)shape[1]);

        using var encoder = EegDinoEncoder.Load(model, options);
        Console.WriteLine($"model: {encoder.Description}");
        EegDinoEncoding encoding = encoder.EncodeBatch(signal.Data, batch, channels);
        float[]? logits = encoding.Logits;
        long d = encoding.EmbeddingDim;
        var outputs = new Dictionary<string, WeightTensor>
        {
            ["encoder_output"] = new([batch, encoding.TokenCount, d], encoding.Tokens),
            ["global_token"] = new([batch, d], encoding.GlobalToken),
            ["pooled_mean"] = new([batch, d], encoding.PooledMean),
        };
        if (logits is not null) outputs["logits"] = new([batch, logits.Length / batch], logits);
        SafetensorsWriter.Write(output, outputs, new Dictionary<string, string> { ["config"] = encoder.Config.ToJson() });
        Console.WriteLine($"wrote {output}: {string.Join(", ", outputs.Select(o => $"{o.Key} {o.Value.ShapeText}"))}");
        return 0;
    }
}

/// <summary>The model options shared by the commands that load a model.</summary>
internal static class ModelOptions
{
    public static EegDinoEncoderOptions FromArgs(CommandArgs args)
    {
        var options = new EegDinoEncoderOptions { InputScale = args.Float("scale", 0.01f) };
        if (args.Optional("config") is string config) options.Config = EegDinoConfig.FromJson(File.ReadAllText(config));
        if (args.Optional("device") is string device) options.Device = device;
        options.WeightSource = args.Optional("source") switch
        {
            null or "student" => EegDinoWeightSource.Student,
            "teacher" => EegDinoWeightSource.Teacher,
            string other => throw new UsageException($"--source is '{other}'; student or teacher was expected."),
        };
        return options;
    }
}
