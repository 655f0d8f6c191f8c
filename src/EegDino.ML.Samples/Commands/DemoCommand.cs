using System.ComponentModel;
using System.Globalization;
using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Demo;
using Microsoft.ML;
using Microsoft.ML.Data;
using ScottPlot;
using ValidationResult = Spectre.Console.ValidationResult;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino demo</c>: the whole path on bundled data. Eyes-open and eyes-closed resting EEG of
/// eegmmidb subject S001 are read, montage-mapped, resampled 160 -> 200 Hz and windowed; the windows
/// are embedded; an ML.NET logistic regression is cross-validated on the embeddings (and, for
/// comparison, on the windows' alpha-band power); metrics are printed and a figure is written.
/// </summary>
internal sealed class DemoCommand : Command<DemoCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        /// <summary>This command reads recordings: the filter options apply.</summary>
        protected override bool ReadsRecordings => true;

        [CommandOption("--output <DIR>")]
        [Description("Where the figure, embeddings.csv, metrics.txt and copies of the data and model go.")]
        [DefaultValue("eegdino-demo")]
        public string Output { get; init; } = "eegdino-demo";

        [CommandOption("--window-seconds <SECONDS>")]
        [Description("Window length (4 s: 4 patches; 29 windows per recording with the default stride).")]
        [DefaultValue(4.0)]
        public double WindowSeconds { get; init; }

        [CommandOption("--stride-seconds <SECONDS>")]
        [Description("Step between windows.")]
        [DefaultValue(2.0)]
        public double StrideSeconds { get; init; }

        [CommandOption("--folds <N>")]
        [Description("Blocked cross-validation folds; overlapping windows never straddle train and test (see docs/embedding-corpora.md).")]
        [DefaultValue(5)]
        public int Folds { get; init; }

        /// <summary>The demo runs without --model: it bundles a Small-architecture model with random weights.</summary>
        protected override bool ModelRequired => false;

        protected override ValidationResult? ValidateCommand() => OptionValues.First(
            OptionValues.Seconds("--window-seconds", WindowSeconds),
            OptionValues.Seconds("--stride-seconds", StrideSeconds),
            OptionValues.AtLeast("--folds", Folds, 2));
    }

    private static readonly (string File, string Condition, bool Closed)[] Recordings =
    [
        ("S001R01.edf", "eyes open", false),
        ("S001R02.edf", "eyes closed", true),
    ];

    private sealed record DemoWindow(string Condition, bool Closed, double StartSeconds, double RecordingSeconds,
        float[] Embedding, double[] AlphaPower);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string outputDir = Path.GetFullPath(settings.Output);
        string? modelArg = settings.Model;
        double windowSeconds = settings.WindowSeconds;
        double strideSeconds = settings.StrideSeconds;
        int folds = settings.Folds;
        var modelOptions = settings.ToEncoderOptions();
        var ci = CultureInfo.InvariantCulture;

        string bundled = AppContext.BaseDirectory;
        string model = modelArg ?? Path.Combine(bundled, "Models", "eegdino-small-random.safetensors");
        bool randomWeights = modelArg is null;
        foreach (string path in Recordings.Select(r => Path.Combine(bundled, "Data", r.File)).Append(model))
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} is missing; the demo data and model are copied next to the app by the build (src/EegDino.ML.Samples/Data and Models).", path);

        Directory.CreateDirectory(outputDir);
        var report = new StringWriter(ci);
        void Say(string line) { Console.WriteLine(line); report.WriteLine(line); }

        using var encoder = EegDinoEncoder.Load(model, modelOptions);
        Say("EEG-DINO demo: eyes open (S001R01) vs eyes closed (S001R02), PhysioNet eegmmidb subject S001");
        if (randomWeights)
        {
            Say($"weights: the bundled Small-architecture model with RANDOM weights ({Path.GetFileName(model)}), not pre-trained.");
            Say("         Whatever accuracy follows comes from the signal passing through a random network, not from");
            Say("         pre-training. Use --model with the released EEG-DINO weights for real embeddings.");
        }
        else
        {
            Say($"weights: {model}");
        }
        Say($"model:   {encoder.Description}");

        // 1. Read, map, resample and window both recordings, then embed the windows.
        var windower = new EegWindower(new EegWindowOptions { WindowSeconds = windowSeconds, StrideSeconds = strideSeconds });
        var mapper = new MontageMapper();
        var recordings = new List<(string Condition, bool Closed, double Seconds, List<EegWindow> Windows)>();
        foreach (var (file, condition, closed) in Recordings)
        {
            string path = Path.Combine(bundled, "Data", file);
            using EdfReader reader = EdfReader.Open(path);
            MontageMapping mapping = mapper.Map(reader.Signals);
            var cut = windower.GetWindows(reader, mapping, settings.ToFilterOptions()).ToList();
            if (cut.Count == 0)
                throw new UsageException(string.Create(ci, $"--window-seconds is {windowSeconds}; {file} lasts {reader.DurationSeconds:0.###} s, shorter than one window."));
            double inRate = reader.Signals[mapping.SourceIndexes[0]].SamplesPerSecond;
            Say(string.Create(ci, $"{file}: {condition}, {reader.DurationSeconds:F0} s at {inRate:F0} Hz, {mapping.Channels.Count} of 19 electrodes mapped, {reader.Signals.Count(s => !s.IsAnnotation) - mapping.Channels.Count} signals dropped; resampled to {cut[0].SamplesPerSecond:F0} Hz; {cut.Count} windows of {windowSeconds} s every {strideSeconds} s"));
            recordings.Add((condition, closed, reader.DurationSeconds, cut));
        }
        var windows = new List<DemoWindow>();
        CliProgress.Run("embedding windows", recordings.Sum(r => r.Windows.Count), progress =>
        {
            foreach (var (condition, closed, seconds, cut) in recordings)
            {
                int channels = cut[0].Channels.Count;
                foreach (var (w, embedding) in encoder.EmbedWindows(cut))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    windows.Add(new DemoWindow(condition, closed, w.StartSeconds, seconds, embedding,
                        DemoAnalysis.BandPower(w.Signal, channels, w.SamplesPerSecond, 8, 12)));
                    progress.Advance(1);
                }
            }
        });
        int dim = encoder.EmbeddingDim;

        // 2. Cross-validate a classifier on the embeddings and, for comparison, on log alpha power.
        var ml = new MLContext(seed: 0);
        Say("");
        Say($"{folds}-fold blocked cross-validation (each recording cut into {folds} time blocks; a fold tests on the windows inside one");
        Say("block, trains on the windows sharing no sample with it; windows straddling the block edges are left out);");
        Say("ML.NET NormalizeMeanVariance + LbfgsLogisticRegression (L2 1.0), label = eyes closed:");
        var (embeddingResult, alphaResult) = CliProgress.Run("cross-validation folds", 2 * folds, progress =>
            (CrossValidate(ml, windows, w => w.Embedding, windowSeconds, folds, progress, cancellationToken),
             CrossValidate(ml, windows, w => w.AlphaPower.Select(p => (float)Math.Log10(p)).ToArray(), windowSeconds, folds, progress, cancellationToken)));
        Say("| features | accuracy (mean +- sd over folds) | AUC | F1 | pooled accuracy | test windows |");
        Say("|---|---|---|---|---|---|");
        Say(Row($"EEG-DINO pooled-mean embedding ({dim}-D{(randomWeights ? ", random weights" : "")})", embeddingResult));
        Say(Row("log10 alpha power 8-12 Hz per channel (19-D)", alphaResult));
        Say("chance level: 50%");

        // 3. Figure, embeddings table, copies of data and model.
        var (scores, explained) = DemoAnalysis.Pca(windows.Select(w => w.Embedding).ToList());
        string figure = Path.Combine(outputDir, "eegdino-demo.png");
        WriteFigure(figure, windows, scores, explained, randomWeights);
        Say("");
        Say($"wrote {figure}");
        string table = Path.Combine(outputDir, "embeddings.csv");
        using (var writer = new CsvEmbeddingWriter(table, dim))
            writer.WriteRows(windows.Select(w => new EmbeddingRow(w.Closed ? "S001R02.edf" : "S001R01.edf", w.StartSeconds, w.Condition, false, "", "", w.Embedding)).ToList());
        Say($"wrote {table} ({windows.Count} rows: recording, start_seconds, label = condition, emb_0 .. emb_{dim - 1})");
        Directory.CreateDirectory(Path.Combine(outputDir, "data"));
        foreach (var r in Recordings) File.Copy(Path.Combine(bundled, "Data", r.File), Path.Combine(outputDir, "data", r.File), overwrite: true);
        string dataReadme = Path.Combine(bundled, "Data", "README.md");
        if (File.Exists(dataReadme)) File.Copy(dataReadme, Path.Combine(outputDir, "data", "README.md"), overwrite: true);
        if (randomWeights) File.Copy(model, Path.Combine(outputDir, Path.GetFileName(model)), overwrite: true);
        Say($"copied the recordings (with their attribution) to {Path.Combine(outputDir, "data")}{(randomWeights ? " and the model to " + outputDir : "")}");
        File.WriteAllText(Path.Combine(outputDir, "metrics.txt"), report.ToString());
        return ExitCodes.Ok;
    }

    private sealed record CvResult(double[] Accuracy, double[] Auc, double[] F1, int Correct, int Tested);

    private static string Row(string name, CvResult r) => string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {100 * r.Accuracy.Average():F1}% +- {100 * Sd(r.Accuracy):F1} | {r.Auc.Average():F3} | {r.F1.Average():F3} | {100.0 * r.Correct / r.Tested:F1}% ({r.Correct}/{r.Tested}) | {r.Tested} |");

    private static double Sd(double[] v)
    {
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / Math.Max(1, v.Length - 1));
    }

    private sealed class Example
    {
        public bool Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    private sealed class Prediction
    {
        public bool PredictedLabel { get; set; }
    }

    private static CvResult CrossValidate(MLContext ml, List<DemoWindow> windows, Func<DemoWindow, float[]> features, double windowSeconds, int folds,
        IProgressTask progress, CancellationToken cancellationToken)
    {
        int dim = features(windows[0]).Length;
        var schema = SchemaDefinition.Create(typeof(Example));
        schema[nameof(Example.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
        var pipeline = ml.Transforms.NormalizeMeanVariance(nameof(Example.Features))
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(nameof(Example.Label), nameof(Example.Features)));
        var accuracy = new List<double>();
        var auc = new List<double>();
        var f1 = new List<double>();
        int correct = 0, tested = 0;
        for (int k = 0; k < folds; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var roles = windows.Select(w => DemoAnalysis.Role(w.StartSeconds, windowSeconds, w.RecordingSeconds, k, folds)).ToList();
            var train = windows.Where((_, i) => roles[i] == DemoAnalysis.FoldRole.Train).Select(w => new Example { Label = w.Closed, Features = features(w) }).ToList();
            var test = windows.Where((_, i) => roles[i] == DemoAnalysis.FoldRole.Test).Select(w => new Example { Label = w.Closed, Features = features(w) }).ToList();
            if (test.Select(t => t.Label).Distinct().Count() < 2 || train.Select(t => t.Label).Distinct().Count() < 2)
                throw new UsageException($"fold {k + 1} of {folds} lacks a condition in its training or test windows; use fewer folds or shorter windows.");
            var model = pipeline.Fit(ml.Data.LoadFromEnumerable(train, schema));
            IDataView predictions = model.Transform(ml.Data.LoadFromEnumerable(test, schema));
            var metrics = ml.BinaryClassification.Evaluate(predictions, nameof(Example.Label));
            accuracy.Add(metrics.Accuracy);
            auc.Add(metrics.AreaUnderRocCurve);
            f1.Add(metrics.F1Score);
            var predicted = ml.Data.CreateEnumerable<Prediction>(predictions, reuseRowObject: false).Select(p => p.PredictedLabel).ToList();
            correct += predicted.Zip(test, (p, t) => p == t.Label).Count(x => x);
            tested += test.Count;
            progress.Advance(1);
        }
        return new CvResult([.. accuracy], [.. auc], [.. f1], correct, tested);
    }

    private static void WriteFigure(string path, List<DemoWindow> windows, double[][] scores, double[] explained, bool randomWeights)
    {
        // The bundled DejaVu Sans: SkiaSharp's native library here reads no system font configuration,
        // and a fresh Debian has no fonts, which would leave the figure without text.
        string fonts = Path.Combine(AppContext.BaseDirectory, "Fonts");
        if (File.Exists(Path.Combine(fonts, "DejaVuSans.ttf")))
        {
            ScottPlot.Fonts.AddFontFile("DejaVu Sans", Path.Combine(fonts, "DejaVuSans.ttf"), bold: false, italic: false);
            ScottPlot.Fonts.AddFontFile("DejaVu Sans", Path.Combine(fonts, "DejaVuSans-Bold.ttf"), bold: true, italic: false);
            ScottPlot.Fonts.Default = "DejaVu Sans";
        }
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Plot pca = multiplot.GetPlot(0), alpha = multiplot.GetPlot(1);
        var colors = new Dictionary<bool, Color> { [false] = Colors.DarkOrange, [true] = Colors.RoyalBlue };
        foreach (bool closed in new[] { false, true })
        {
            var idx = Enumerable.Range(0, windows.Count).Where(i => windows[i].Closed == closed).ToArray();
            var s = pca.Add.ScatterPoints(idx.Select(i => scores[0][i]).ToArray(), idx.Select(i => scores[1][i]).ToArray(), colors[closed]);
            s.LegendText = closed ? "eyes closed (S001R02)" : "eyes open (S001R01)";
            s.MarkerSize = 8;
            var a = alpha.Add.ScatterPoints(idx.Select(i => windows[i].StartSeconds).ToArray(),
                idx.Select(i => Math.Log10(windows[i].AlphaPower.Average())).ToArray(), colors[closed]);
            a.LegendText = closed ? "eyes closed" : "eyes open";
            a.MarkerSize = 8;
        }
        pca.Title($"EEG-DINO embeddings, PCA{(randomWeights ? " (random Small weights)" : "")}");
        pca.XLabel(string.Create(CultureInfo.InvariantCulture, $"PC1 ({100 * explained[0]:F0}% of variance)"));
        pca.YLabel(string.Create(CultureInfo.InvariantCulture, $"PC2 ({100 * explained[1]:F0}% of variance)"));
        pca.ShowLegend(Alignment.UpperRight);
        alpha.Title("Alpha band power (8-12 Hz), mean of 19 channels");
        alpha.XLabel("window start (s)");
        alpha.YLabel("log10 power (uV²)");
        alpha.ShowLegend(Alignment.UpperRight);
        multiplot.SavePng(path, 1400, 600);
    }
}
