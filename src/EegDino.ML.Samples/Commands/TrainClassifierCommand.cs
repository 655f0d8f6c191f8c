using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Cli;
using Microsoft.ML;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino train-classifier --model M --class NAME=FILE.edf ...</c>: windows EDF recordings (one
/// class per recording), trains an EEG-DINO classifier, and reports the ML.NET evaluator's metrics on
/// a held-out split and the time per epoch. The split is by window: windows of one recording land on
/// both sides, so the accuracy is an optimistic within-subject figure.
/// </summary>
internal sealed class TrainClassifierCommand : Command<TrainClassifierCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        /// <summary>This command reads recordings: the filter options apply.</summary>
        protected override bool ReadsRecordings => true;

        [CommandOption("--class <NAME=FILE>")]
        [Description("A recording whose windows all have class NAME (repeat; at least two classes).")]
        public string[] Classes { get; init; } = [];

        [CommandOption("--window-seconds <SECONDS>")]
        [Description("Window length.")]
        [DefaultValue(2.0)]
        public double WindowSeconds { get; init; }

        [CommandOption("--stride-seconds <SECONDS>")]
        [Description("Step between windows.")]
        [DefaultValue(1.0)]
        public double StrideSeconds { get; init; }

        [CommandOption("--mode <MODE>")]
        [Description("head (frozen encoder), finetune (all layers) or last:N (the last N layers and the head).")]
        [DefaultValue("head")]
        public string Mode { get; init; } = "head";

        [CommandOption("--epochs <N>")]
        [Description("Training epochs.")]
        [DefaultValue(20)]
        public int Epochs { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Windows per training step.")]
        [DefaultValue(16)]
        public int BatchSize { get; init; }

        [CommandOption("--lr <RATE>")]
        [Description("Learning rate of the head.")]
        [DefaultValue(1e-3)]
        public double LearningRate { get; init; }

        [CommandOption("--encoder-lr <RATE>")]
        [Description("Learning rate of the fine-tuned encoder layers.")]
        [DefaultValue(1e-5)]
        public double EncoderLearningRate { get; init; }

        [CommandOption("--test-fraction <F>")]
        [Description("Share of windows held out for validation and evaluation.")]
        [DefaultValue(0.3)]
        public double TestFraction { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seed of the split and of the training.")]
        [DefaultValue(1)]
        public int Seed { get; init; }

        [CommandOption("--output <PATH>")]
        [Description("Write the trained ML.NET model zip.")]
        public string? Output { get; init; }

        /// <summary>The training mode and, for last:N, N.</summary>
        public (EegDinoTrainingMode Mode, int Layers)? ParsedMode => Mode switch
        {
            "head" => (EegDinoTrainingMode.HeadOnly, 0),
            "finetune" => (EegDinoTrainingMode.FineTuneAll, 0),
            _ when Mode.StartsWith("last:", StringComparison.Ordinal) && int.TryParse(Mode[5..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1
                => (EegDinoTrainingMode.FineTuneLastLayers, n),
            _ => null,
        };

        protected override ValidationResult? ValidateCommand() => OptionValues.First(
            Classes.FirstOrDefault(c => c.IndexOf('=') <= 0 || c.IndexOf('=') == c.Length - 1) is string bad
                ? ValidationResult.Error($"--class is '{bad}'; NAME=FILE was expected.") : null,
            Classes.Length < 2 ? ValidationResult.Error($"--class is given {Classes.Length} time(s); at least two NAME=FILE recordings are needed (repeat --class).") : null,
            OptionValues.Seconds("--window-seconds", WindowSeconds),
            OptionValues.Seconds("--stride-seconds", StrideSeconds),
            ParsedMode is null ? ValidationResult.Error($"--mode is '{Mode}'; head, finetune or last:N (N >= 1) was expected.") : null,
            OptionValues.AtLeast("--epochs", Epochs, 1),
            OptionValues.AtLeast("--batch-size", BatchSize, 1),
            OptionValues.Finite("--lr", LearningRate, positive: true),
            OptionValues.Finite("--encoder-lr", EncoderLearningRate, positive: true),
            OptionValues.Fraction("--test-fraction", TestFraction));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ci = CultureInfo.InvariantCulture;
        var classes = settings.Classes.Select(spec => new EegRecordingSource(spec[(spec.IndexOf('=') + 1)..], spec[..spec.IndexOf('=')])).ToList();
        if (settings.Output is not null) OutputGuard.EnsureNotAnInput("--output", settings.Output, [.. classes.Select(c => c.Path), settings.Model!]);
        WindowFit.EnsureSomeRecordingFits("--window-seconds", settings.WindowSeconds, classes.Select(c => c.Path));
        var (mode, layers) = settings.ParsedMode!.Value;

        var options = new EegDinoClassifierTrainer.Options
        {
            Model = settings.ToModelOptions(),
            NumberOfChannels = 19,
            Mode = mode,
            NumberOfEpochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            EncoderLearningRate = settings.EncoderLearningRate,
            InitialHead = EegDinoInitialHead.Fresh,
        };
        if (mode == EegDinoTrainingMode.FineTuneLastLayers) options.NumberOfFineTunedLayers = layers;

        var ml = new MLContext(seed: settings.Seed);
        IDataView windows = ml.Data.LoadFromEegRecordings(classes, new EegLoaderOptions
        {
            Windows = new EegWindowOptions { WindowSeconds = settings.WindowSeconds, StrideSeconds = settings.StrideSeconds },
            Filters = settings.ToFilterOptions(), // also recorded in the saved classifier's input contract (options.Model.Filters)
        });
        // Windowing and resampling run once: the rows are cached in memory before the split.
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey(EegDataColumns.Label).Fit(windows).Transform(windows);
        keyed = ml.Data.Cache(keyed);
        var split = ml.Data.TrainTestSplit(keyed, settings.TestFraction, seed: settings.Seed);
        Console.WriteLine($"{CountRows(split.TrainSet)} training and {CountRows(split.TestSet)} test windows of {settings.WindowSeconds.ToString(ci)} s; classes {string.Join(", ", classes.Select(c => c.Label))}; mode {options.Mode}.");

        var watch = Stopwatch.StartNew();
        EegDinoClassificationTransformer trained = CliProgress.Run("epochs", settings.Epochs, progress =>
        {
            // The trainer reports each epoch; an interrupt ends the training after the current one
            // (MLContext's own cancellation is not public API).
            options.EpochCompleted = e =>
            {
                progress.Advance(1, e.ToString());
                cancellationToken.ThrowIfCancellationRequested();
            };
            try
            {
                return ml.MulticlassClassification.Trainers.EegDino(options).Fit(split.TrainSet, split.TestSet);
            }
            catch (Exception e) when (CliErrors.Unwrap(e) is ArgumentOutOfRangeException { ParamName: nameof(options.NumberOfFineTunedLayers) } tooMany)
            {
                throw new UsageException($"--mode is '{settings.Mode}': {CliErrors.Clean(tooMany.Message)}");
            }
        });
        using var classifier = trained;
        var history = classifier.History;
        var epochTimes = history.Epochs.Select(e => e.Duration.TotalSeconds).ToArray();
        Console.WriteLine(string.Create(ci, $"trained in {watch.Elapsed.TotalSeconds:F1} s: encoder cache {history.EncoderCacheDuration.TotalSeconds:F1} s, " +
            $"{epochTimes.Length} epochs, median {Median(epochTimes):F2} s per epoch (validation included)."));

        var metrics = ml.MulticlassClassification.Evaluate(classifier.Transform(split.TestSet));
        Console.WriteLine(string.Create(ci, $"test: micro accuracy {metrics.MicroAccuracy:F3}, macro accuracy {metrics.MacroAccuracy:F3}, log loss {metrics.LogLoss:F3}"));
        Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());
        if (settings.Output is not null)
        {
            ml.Model.Save(classifier, split.TrainSet.Schema, settings.Output);
            Console.WriteLine($"saved {settings.Output}");
        }
        return ExitCodes.Ok;
    }

    private static long CountRows(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0) return 0;
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
