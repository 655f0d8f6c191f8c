using System.Text.RegularExpressions;
using EegDino.ML.Samples.Commands;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// The <c>eegdino</c> command line: the command table (<see cref="Configure"/>) and the run around
/// it (<see cref="Run"/>): deprecated spellings rewritten, Ctrl+C turned into cancellation, every
/// error reported as one line with its exit code (see <see cref="ExitCodes"/>).
/// </summary>
internal static partial class EegDinoCli
{
    /// <summary>
    /// Every command, its one-line description and examples. Adding a command: write its class
    /// (settings + <see cref="Command{TSettings}"/>) in Commands/ and add one line here.
    /// </summary>
    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("eegdino");
        config.UseStrictParsing();
        config.SetHelpProvider(new EegDinoHelpProvider(config.Settings));
        config.Settings.CancellationExitCode = ExitCodes.Interrupted;
        config.AddExample("demo");
        config.AddExample("embed", "recordings/", "--model", "model.safetensors", "--output", "embeddings.parquet");

        config.AddCommand<DemoCommand>("demo")
            .WithDescription("Eyes open vs eyes closed on bundled EEG: embed, cross-validate an ML.NET classifier, plot.")
            .WithExample("demo")
            .WithExample("demo", "--output", "demo-out", "--window-seconds", "4", "--stride-seconds", "2", "--folds", "5");
        config.AddCommand<EncodeCommand>("encode")
            .WithDescription("Encode a [[B, C, T]] or [[C, T]] tensor from a safetensors file; write the embeddings.")
            .WithExample("encode", "--model", "model.safetensors", "--input", "in.safetensors", "--output", "out.safetensors");
        config.AddCommand<EmbedCommand>("embed")
            .WithDescription("Embed every window of EDF/BDF recordings (files or folders) into a Parquet or CSV table; resumable.")
            .WithExample("embed", "recordings/", "--model", "model.safetensors", "--output", "embeddings.parquet")
            .WithExample("embed", "a.edf", "b.edf", "--model", "model.safetensors", "--output", "emb.csv", "--window-seconds", "4", "--stride-seconds", "2")
            .WithExample("embed", "corpus/", "--model", "model.safetensors", "--output", "dataset/", "--shard", "auto")
            .WithExample("embed", "--verify", "dataset/")
            .WithExample("embed", "--merge", "dataset/", "--output", "all.parquet");
        config.AddCommand<InfoCommand>("info")
            .WithDescription("Show an EDF/EDF+/BDF file: header, channels, annotations, montage mapping.")
            .WithExample("info", "recording.edf")
            .WithExample("info", "--use-present-channels", "recording.edf");
        config.AddCommand<PreprocessCommand>("preprocess")
            .WithDescription("Map an EDF/BDF file to the model's 19 channels in microvolts at 200 Hz and save it as safetensors.")
            .WithExample("preprocess", "recording.edf", "--output", "signal.safetensors");
        config.AddCommand<ConvertCommand>("convert")
            .WithDescription("Convert a checkpoint (.pt, safetensors, folder) to safetensors in the released key names.")
            .WithExample("convert", "model_EEG_DINO_S.pt", "--output", "small.safetensors", "--source", "teacher");
        config.AddCommand<InspectCommand>("inspect")
            .WithDescription("Show a checkpoint's format, tensors, configuration and student/teacher/head presence.")
            .WithExample("inspect", "model_EEG_DINO_S.pt", "--tensors");
        config.AddCommand<ExportOnnxCommand>("export-onnx")
            .WithDescription("Export the encoder (and head) to ONNX for ONNX Runtime and ML.NET's ApplyOnnxModel (GPUs of any vendor).")
            .WithExample("export-onnx", "--model", "model.safetensors", "--output", "model.onnx")
            .WithExample("export-onnx", "--model", "model.safetensors", "--output", "model-fp16.onnx", "--outputs", "pooled_mean", "--precision", "fp16");
        config.AddCommand<TrainClassifierCommand>("train-classifier")
            .WithDescription("Train an EEG-DINO classifier on labelled EDF recordings (e.g. eyes open vs closed) and evaluate it.")
            .WithExample("train-classifier", "--model", "model.safetensors", "--class", "open=S001R01.edf", "--class", "closed=S001R02.edf")
            .WithExample("train-classifier", "--model", "model.safetensors", "--class", "open=S001R01.edf", "--class", "closed=S001R02.edf",
                "--mode", "last:2", "--epochs", "5", "--output", "classifier.zip");
        config.AddCommand<BenchCommand>("bench")
            .WithDescription("Time the encoder (Small/Medium/Large, several batch sizes and precisions) against the machine's matmul peaks.")
            .WithExample("bench")
            .WithExample("bench", "--sizes", "small", "--batch-sizes", "1,8", "--precision", "fp32,bf16", "--json", "bench.json");
        config.AddCommand<MLNetBenchCommand>("mlnet-bench")
            .WithDescription("Measure the ML.NET transform: overhead vs direct encoder, memory over many rows, cache effect.")
            .WithExample("mlnet-bench", "--model", "model.safetensors", "--rows", "160");
        config.AddCommand<MLNetTrainersCommand>("mlnet-trainers")
            .WithDescription("Sample: DataFrame -> EEG-DINO embedding -> cross-validate several trainers, keep the best, save the zip.")
            .WithExample("mlnet-trainers", "--model", "model.safetensors", "--output", "model.zip");
    }

    /// <summary>
    /// Runs the command line <paramref name="args"/> and returns the exit code. Errors go to stderr
    /// as one line, <c>eegdino COMMAND: message</c>. Bare <c>eegdino</c> prints the help and exits 2.
    /// </summary>
    public static int Run(string[] args, CancellationToken cancellationToken = default)
    {
        if (args.Length == 0)
        {
            CreateApp().Run(["--help"]);
            return ExitCodes.Usage;
        }
        string[] rewritten = DeprecatedOptions.Rewrite(args, Console.Error);
        string prefix = IsCommand(rewritten[0]) ? $"eegdino {rewritten[0]}" : "eegdino";
        var app = CreateApp();
        app.Configure(c => c.SetExceptionHandler((e, _) =>
        {
            var (code, message) = CliErrors.Describe(e);
            string hint = code == ExitCodes.Usage ? $" (see '{prefix} --help')" : "";
            Console.Error.WriteLine($"{prefix}: {Rephrase(message, rewritten)}{hint}");
            return code;
        }));
        return app.Run(rewritten, cancellationToken);
    }

    private static CommandApp CreateApp()
    {
        var app = new CommandApp();
        app.Configure(Configure);
        return app;
    }

    /// <summary>The names of the commands, in the order of the help.</summary>
    public static readonly string[] CommandNames =
        ["demo", "encode", "embed", "info", "preprocess", "convert", "inspect", "export-onnx", "train-classifier", "bench", "mlnet-bench", "mlnet-trainers"];

    private static bool IsCommand(string word) => CommandNames.Contains(word, StringComparer.Ordinal);

    /// <summary>
    /// Spectre.Console.Cli's conversion error ("Failed to convert 'abc' to Double.") names the value
    /// but not the option: the option is found in the arguments and named.
    /// </summary>
    internal static string Rephrase(string message, IReadOnlyList<string> args)
    {
        var match = ConversionFailure().Match(message);
        if (!match.Success) return message;
        string value = match.Groups[1].Value, type = match.Groups[2].Value;
        string expected = type switch
        {
            "Double" or "Single" or "Decimal" => "a number",
            "Int32" or "Int64" => "a whole number",
            "Boolean" => "true or false",
            _ => $"a value of type {type}",
        };
        string? option = null;
        for (int i = 1; i < args.Count && option is null; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal) && args[i].EndsWith("=" + value, StringComparison.Ordinal)) option = args[i][..args[i].IndexOf('=')];
            else if (args[i] == value && args[i - 1].StartsWith('-')) option = args[i - 1];
        }
        return option is null ? $"'{value}' is not {expected}." : $"{option} is '{value}'; {expected} was expected.";
    }

    [GeneratedRegex(@"^Failed to convert '(.*)' to ([A-Za-z0-9]+)\.?$")]
    private static partial Regex ConversionFailure();
}
