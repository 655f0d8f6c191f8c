using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Eeg;
using Microsoft.ML;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino train-classifier --model M --class NAME=FILE.edf ...</c>: windows EDF recordings (one
/// class per recording), trains an EEG-DINO classifier, and reports the ML.NET evaluator's metrics on
/// a held-out split and the time per epoch.
/// </summary>
internal sealed class TrainClassifierCommand : ICommand
{
    public string Name => "train-classifier";

    public string Summary => "Train an EEG-DINO classifier on labelled EDF recordings (e.g. eyes open vs closed) and evaluate it.";

    public string Usage => """
        usage: eegdino train-classifier --model PATH --class NAME=FILE [--class NAME=FILE ...]
                                        [--window 2] [--stride 1] [--mode head|finetune|last:N] [--epochs 20]
                                        [--batch 16] [--lr 0.001] [--encoder-lr 1e-5] [--test-fraction 0.3]
                                        [--seed 1] [--save MODEL.zip]

          --model PATH       EEG-DINO checkpoint (safetensors, braindecode folder or released .pt)
          --class NAME=FILE  a recording whose windows all have class NAME (repeat; at least two classes)
          --window S         window length in seconds (default 2); --stride S: step between windows (default 1)
          --mode M           head (frozen encoder, default), finetune (all layers) or last:N (last N layers)
          --test-fraction F  share of windows held out for validation and evaluation (default 0.3)
          --save PATH        write the trained ML.NET model zip

        Example (PhysioNet eegmmidb S001: R01 eyes open, R02 eyes closed):
          eegdino train-classifier --model model.safetensors \
            --class open=S001R01.edf --class closed=S001R02.edf

        The split is by window: windows of one recording land on both sides, so the accuracy is an
        optimistic within-subject figure (use other subjects or runs for a real test).
        """;

    public int Run(CommandArgs args)
    {
        var ci = CultureInfo.InvariantCulture;
        string model = args.Required("model");
        var classes = new List<EegRecordingSource>();
        foreach (string spec in args.All("class"))
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--class '{spec}' must be NAME=FILE.");
            classes.Add(new EegRecordingSource(spec[(eq + 1)..], spec[..eq]));
        }
        if (classes.Count < 2) throw new UsageException("at least two --class NAME=FILE recordings are needed (repeat --class).");
        double window = args.Float("window", 2), stride = args.Float("stride", 1);
        string mode = args.Optional("mode") ?? "head";
        int epochs = args.Int("epochs", 20), batch = args.Int("batch", 16), seed = args.Int("seed", 1);
        float lr = args.Float("lr", 1e-3f), encoderLr = args.Float("encoder-lr", 1e-5f), testFraction = args.Float("test-fraction", 0.3f);
        string? save = args.Optional("save");
        args.EnsureAllUsed();

        var options = new EegDinoClassifierTrainer.Options
        {
            ModelPath = model,
            NumberOfChannels = 19,
            NumberOfEpochs = epochs,
            BatchSize = batch,
            LearningRate = lr,
            EncoderLearningRate = encoderLr,
            InitialHead = EegDinoInitialHead.Fresh,
            EpochCompleted = e => Console.WriteLine("  " + e),
        };
        if (mode == "head") options.Mode = EegDinoTrainingMode.HeadOnly;
        else if (mode == "finetune") options.Mode = EegDinoTrainingMode.FineTuneAll;
        else if (mode.StartsWith("last:", StringComparison.Ordinal) && int.TryParse(mode[5..], NumberStyles.Integer, ci, out int n))
        {
            options.Mode = EegDinoTrainingMode.FineTuneLastLayers;
            options.NumberOfFineTunedLayers = n;
        }
        else throw new UsageException($"--mode is '{mode}'; expected head, finetune or last:N.");

        var ml = new MLContext(seed: seed);
        IDataView windows = ml.Data.LoadFromEegRecordings(classes, new EegLoaderOptions
        {
            Windows = new EegWindowOptions { WindowSeconds = window, StrideSeconds = stride },
        });
        // Windowing and resampling run once: the rows are cached in memory before the split.
        IDataView keyed = ml.Transforms.Conversion.MapValueToKey(EegDataColumns.Label).Fit(windows).Transform(windows);
        keyed = ml.Data.Cache(keyed);
        var split = ml.Data.TrainTestSplit(keyed, testFraction, seed: seed);
        Console.WriteLine($"{CountRows(split.TrainSet)} training and {CountRows(split.TestSet)} test windows of {window.ToString(ci)} s; classes {string.Join(", ", classes.Select(c => c.Label))}; mode {options.Mode}.");

        var watch = Stopwatch.StartNew();
        using var trained = ml.MulticlassClassification.Trainers.EegDino(options).Fit(split.TrainSet, split.TestSet);
        var history = trained.History;
        var epochTimes = history.Epochs.Select(e => e.Duration.TotalSeconds).ToArray();
        Console.WriteLine(string.Create(ci, $"trained in {watch.Elapsed.TotalSeconds:F1} s: encoder cache {history.EncoderCacheDuration.TotalSeconds:F1} s, " +
            $"{epochTimes.Length} epochs, median {Median(epochTimes):F2} s per epoch (validation included)."));

        var metrics = ml.MulticlassClassification.Evaluate(trained.Transform(split.TestSet));
        Console.WriteLine(string.Create(ci, $"test: micro accuracy {metrics.MicroAccuracy:F3}, macro accuracy {metrics.MacroAccuracy:F3}, log loss {metrics.LogLoss:F3}"));
        Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());
        if (save is not null)
        {
            ml.Model.Save(trained, split.TrainSet.Schema, save);
            Console.WriteLine($"saved {save}");
        }
        return 0;
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
