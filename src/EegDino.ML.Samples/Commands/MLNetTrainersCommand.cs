using System.ComponentModel;
using EegDino.ML.Samples.Cli;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// End-to-end ML.NET sample: a DataFrame of EEG windows goes through the EEG-DINO embedding (cached),
/// several multiclass trainers are cross-validated on the embedding column, the best is refitted and
/// saved with the weights inside the zip, and the embeddings come back as a DataFrame column.
/// </summary>
internal sealed class MLNetTrainersCommand : Command<MLNetTrainersCommand.Settings>
{
    /// <summary>Synthetic 3-class windows (10 Hz alpha, 20 Hz beta, 6 Hz theta plus noise), microvolts at 200 Hz.</summary>
    public sealed class Settings : SyntheticSignalSettings
    {
        [CommandOption("--rows <N>")]
        [Description("Synthetic windows (3 classes: 10 Hz alpha, 20 Hz beta, 6 Hz theta plus noise).")]
        [DefaultValue(60)]
        public int Rows { get; init; }

        [CommandOption("--folds <N>")]
        [Description("Cross-validation folds.")]
        [DefaultValue(3)]
        public int Folds { get; init; }

        [CommandOption("--output <PATH>")]
        [Description("Save the best pipeline as an ML.NET model zip (the weights inside).")]
        public string? Output { get; init; }

        protected override ValidationResult? ValidateSample() => OptionValues.First(
            OptionValues.AtLeast("--rows", Rows, 6), OptionValues.AtLeast("--folds", Folds, 2));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        int channels = settings.Channels, samples = settings.Samples, rows = settings.Rows, folds = settings.Folds;
        string? save = settings.Output;

        // A DataFrame: one float column per sample (channel-major), and a label.
        var random = new Random(1);
        double[] rhythms = [10, 20, 6];
        var labels = new List<string>();
        var values = new float[channels * samples][];
        for (int k = 0; k < values.Length; k++) values[k] = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int label = r % rhythms.Length;
            labels.Add($"rhythm{rhythms[label]}Hz");
            for (int c = 0; c < channels; c++)
            {
                double phase = random.NextDouble() * 2 * Math.PI;
                for (int t = 0; t < samples; t++)
                    values[c * samples + t][r] = (float)(25 * Math.Sin(2 * Math.PI * rhythms[label] * t / 200.0 + phase) + 20 * (random.NextDouble() - 0.5));
            }
        }
        var sampleColumns = Enumerable.Range(0, values.Length).Select(k => $"s{k}").ToArray();
        var frame = new DataFrame(sampleColumns.Select((name, k) => (DataFrameColumn)new PrimitiveDataFrameColumn<float>(name, values[k])));
        frame.Columns.Add(new StringDataFrameColumn("Label", labels));

        var ml = new MLContext(seed: 1);
        var embedding = ml.Transforms.Concatenate("Signal", sampleColumns)
            .Append(ml.Transforms.EegDinoEmbed(new EegDinoEmbeddingOptions
            {
                Model = settings.ToModelOptions(),
                NumberOfChannels = channels,
            }))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.Transforms.NormalizeMeanVariance("Embedding"));

        // Encode once: fit the featurizer, cache its output, and cross-validate the trainers on the cache.
        var featurizer = embedding.Fit(frame);
        IDataView features = ml.Data.Cache(featurizer.Transform(frame), "Embedding", "Label");
        var trainers = new (string Name, IEstimator<ITransformer> Trainer)[]
        {
            ("LbfgsMaximumEntropy", ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Embedding")),
            ("SdcaMaximumEntropy", ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Embedding")),
            ("LightGbm", ml.MulticlassClassification.Trainers.LightGbm("Label", "Embedding", minimumExampleCountPerLeaf: 2)),
        };
        var scores = new List<(string Name, double MacroAccuracy, IEstimator<ITransformer> Trainer)>();
        foreach (var (name, trainer) in trainers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var results = ml.MulticlassClassification.CrossValidate(features, trainer, numberOfFolds: folds, labelColumnName: "Label");
            double macro = results.Average(r => r.Metrics.MacroAccuracy);
            Console.WriteLine($"{name,-20} macro accuracy {macro:F3} (folds: {string.Join(", ", results.Select(r => r.Metrics.MacroAccuracy.ToString("F2")))})");
            scores.Add((name, macro, trainer));
        }
        var best = scores.OrderByDescending(s => s.MacroAccuracy).First();
        Console.WriteLine($"best: {best.Name}");

        var model = featurizer.Append(best.Trainer.Fit(features));
        if (save is not null)
        {
            ml.Model.Save(model, ((IDataView)frame).Schema, save);
            Console.WriteLine($"saved {save} ({new FileInfo(save).Length / 1024} KiB, weights inside)");
        }

        // Embeddings back as a DataFrame column.
        DataFrame embedded = featurizer.Transform(frame).ToDataFrame("Embedding");
        Console.WriteLine($"DataFrame: {embedded.Rows.Count} rows, columns {string.Join(", ", embedded.Columns.Select(c => $"{c.Name} ({c.GetType().Name})"))}");
        foreach (var disposable in model.OfType<IDisposable>()) disposable.Dispose();
        return ExitCodes.Ok;
    }
}
