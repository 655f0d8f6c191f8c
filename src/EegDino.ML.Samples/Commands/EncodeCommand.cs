using System.ComponentModel;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Tensors;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino encode</c>: runs the encoder (and the head, if the model has one) on a tensor read from
/// a safetensors file and writes the outputs to another. This is how Python users exchange tensors
/// with the library and how parity is checked from outside. Rows are encoded --batch-size at a time.
/// </summary>
internal sealed class EncodeCommand : Command<EncodeCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--input <PATH>")]
        [Description("A safetensors file with a float tensor 'input' of shape [[B, C, T]] or [[C, T]] (1 to 19 channels at 200 Hz; any length, right-padded to whole 200-sample patches).")]
        public string? Input { get; init; }

        [CommandOption("--output <PATH>")]
        [Description("Written with encoder_output [[B, G + C*P, D]], global_token [[B, D]], pooled_mean [[B, D]], and logits [[B, n]] when the model has a classification head.")]
        public string? Output { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Rows of the input per forward pass (the results do not depend on it).")]
        [DefaultValue(16)]
        public int BatchSize { get; init; }

        protected override ValidationResult? ValidateCommand() => OptionValues.First(
            string.IsNullOrWhiteSpace(Input) ? ValidationResult.Error("--input is required: a safetensors file with a tensor 'input'.") : null,
            string.IsNullOrWhiteSpace(Output) ? ValidationResult.Error("--output is required: the safetensors file to write.") : null,
            OptionValues.AtLeast("--batch-size", BatchSize, 1));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string input = settings.Input!, output = settings.Output!;
        OutputGuard.EnsureNotAnInput("--output", output, input, settings.Model!);
        var (tensors, _) = SafetensorsFile.Read(input);
        if (!tensors.TryGetValue("input", out var signal))
            throw new UsageException($"--input {input} holds no tensor named 'input' (it has: {string.Join(", ", tensors.Keys)}).");
        long[] shape = signal.Shape.Length switch
        {
            3 => signal.Shape,
            2 => [1, signal.Shape[0], signal.Shape[1]],
            _ => throw new UsageException($"--input: 'input' has shape {signal.ShapeText}; [B, C, T] or [C, T] was expected."),
        };
        int batch = checked((int)shape[0]), channels = checked((int)shape[1]);
        int rowSize = checked((int)(shape[1] * shape[2]));

        var options = settings.ToEncoderOptions();
        using var encoder = EegDinoEncoder.Load(settings.Model!, options);
        Console.WriteLine($"model: {encoder.Description}");

        var parts = new List<EegDinoEncoding>();
        CliProgress.Run($"encoding {batch} rows", batch, progress =>
        {
            for (int start = 0; start < batch; start += settings.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(settings.BatchSize, batch - start);
                var rows = signal.Data.AsSpan(start * rowSize, n * rowSize);
                parts.Add(encoder.EncodeBatch(rows, n, channels)); // with the logits when the model has a head
                if (batch > settings.BatchSize) progress.Advance(n);
            }
        });

        var first = parts[0];
        long d = first.EmbeddingDim;
        var outputs = new Dictionary<string, FloatTensor>
        {
            ["encoder_output"] = new([batch, first.TokenCount, d], [.. parts.SelectMany(p => p.Tokens)]),
            ["global_token"] = new([batch, d], [.. parts.SelectMany(p => p.GlobalToken)]),
            ["pooled_mean"] = new([batch, d], [.. parts.SelectMany(p => p.PooledMean)]),
        };
        if (first.Logits is not null) outputs["logits"] = new([batch, first.Logits.Length / first.BatchSize], [.. parts.SelectMany(p => p.Logits!)]);
        SafetensorsFile.Write(output, outputs, new Dictionary<string, string> { ["config"] = encoder.Config.ToJson() });
        Console.WriteLine($"wrote {output}: {string.Join(", ", outputs.Select(o => $"{o.Key} {o.Value.ShapeText}"))}");
        return ExitCodes.Ok;
    }
}
