using System.ComponentModel;
using System.Diagnostics;
using EegDino.ML.Samples.Cli;
using Microsoft.ML;
using Microsoft.ML.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// Measures the ML.NET transform: its overhead over direct batched encoding on the same rows, memory
/// over many rows, and the effect of caching the embeddings before an iterative trainer.
/// </summary>
internal sealed class MLNetBenchCommand : Command<MLNetBenchCommand.Settings>
{
    public sealed class Settings : SyntheticSignalSettings
    {
        [CommandOption("--memory-model <PATH>")]
        [Description("Model for the memory run (default: --model); rows are streamed, never held.")]
        public string? MemoryModel { get; init; }

        [CommandOption("--rows <N>")]
        [Description("Rows of the overhead run.")]
        [DefaultValue(160)]
        public int Rows { get; init; }

        [CommandOption("--batch-size <N>")]
        [Description("Rows per forward pass.")]
        [DefaultValue(16)]
        public int BatchSize { get; init; }

        [CommandOption("--memory-rows <N>")]
        [Description("Rows streamed through the transform in the memory run.")]
        [DefaultValue(10_000)]
        public int MemoryRows { get; init; }

        [CommandOption("--cache-rows <N>")]
        [Description("Rows of the cache run (SDCA with and without AppendCacheCheckpoint).")]
        [DefaultValue(64)]
        public int CacheRows { get; init; }

        protected override ValidationResult? ValidateSample() => OptionValues.First(
            OptionValues.AtLeast("--rows", Rows, 1), OptionValues.AtLeast("--batch-size", BatchSize, 1),
            OptionValues.AtLeast("--memory-rows", MemoryRows, 10), OptionValues.AtLeast("--cache-rows", CacheRows, 2));
    }

    private sealed class Row
    {
        public float[] Signal { get; set; } = [];
        public bool Label { get; set; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string model = settings.Model!;
        string memoryModel = settings.MemoryModel ?? model;
        int channels = settings.Channels, samples = settings.Samples, rows = settings.Rows;
        int batch = settings.BatchSize, memoryRows = settings.MemoryRows, cacheRows = settings.CacheRows;
        EegDinoEncoderOptions encoderOptions = settings.ToEncoderOptions();
        EegDinoEmbeddingOptions EmbeddingOptions(string path) => new()
        {
            Model = settings.ToModelOptions(path),
            NumberOfChannels = channels,
            BatchSize = batch,
        };

        var ml = new MLContext(seed: 1);
        var data = MakeRows(rows, channels, samples);
        var options = EmbeddingOptions(model);

        // 1. Overhead: the same rows, direct EncodeBatch in chunks of `batch` vs the transform.
        using (var encoder = EegDinoEncoder.Load(model, encoderOptions))
        using (var transformer = ml.Transforms.EegDinoEmbed(options).Fit(Load(ml, data, channels * samples)))
        {
            var flat = data.SelectMany(r => r.Signal).ToArray();
            int size = channels * samples;
            double Direct()
            {
                var watch = Stopwatch.StartNew();
                for (int start = 0; start < rows; start += batch)
                {
                    int count = Math.Min(batch, rows - start);
                    _ = encoder.EncodeBatch(flat.AsSpan(start * size, count * size), count, channels).PooledMean;
                }
                return watch.Elapsed.TotalMilliseconds;
            }
            double Transform()
            {
                var watch = Stopwatch.StartNew();
                IDataView output = transformer.Transform(Load(ml, data, size));
                var column = output.Schema[options.OutputColumnName];
                using var cursor = output.GetRowCursor([column]);
                var getter = cursor.GetGetter<VBuffer<float>>(column);
                VBuffer<float> value = default;
                while (cursor.MoveNext()) getter(ref value);
                return watch.Elapsed.TotalMilliseconds;
            }
            Direct(); Transform(); // warm-up
            var direct = new List<double>();
            var viaTransform = new List<double>();
            for (int repeat = 0; repeat < 5; repeat++)
            {
                // Alternate to spread machine noise over both.
                direct.Add(Direct());
                viaTransform.Add(Transform());
            }
            double d = Median(direct), t = Median(viaTransform);
            Console.WriteLine($"overhead: {rows} rows of {channels}x{samples}, batch {batch}: direct {d:F0} ms, transform {t:F0} ms (median of 5), overhead {(t - d) / d * 100:+0.0;-0.0}%");
            Console.WriteLine($"  direct runs: {string.Join(", ", direct.Select(x => x.ToString("F0")))}; transform runs: {string.Join(", ", viaTransform.Select(x => x.ToString("F0")))}");
        }

        // 2. Memory over many rows, streamed through the transform.
        {
            var memoryOptions = EmbeddingOptions(memoryModel);
            var schemaRows = MakeRows(1, channels, samples);
            using var transformer = ml.Transforms.EegDinoEmbed(memoryOptions).Fit(Load(ml, schemaRows, channels * samples));
            IDataView output = transformer.Transform(Load(ml, Stream(memoryRows, channels, samples), channels * samples));
            var column = output.Schema[memoryOptions.OutputColumnName];
            using var cursor = output.GetRowCursor([column]);
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            var watch = Stopwatch.StartNew();
            int n = 0;
            Console.WriteLine($"memory: {memoryRows} rows of {channels}x{samples}, batch {batch}");
            while (cursor.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                getter(ref value);
                if (++n % (memoryRows / 10) == 0)
                {
                    using var process = Process.GetCurrentProcess();
                    Console.WriteLine($"  rows {n,6}: RSS {process.WorkingSet64 / 1048576.0,7:F0} MiB, managed {GC.GetTotalMemory(false) / 1048576.0,6:F1} MiB, {n / watch.Elapsed.TotalSeconds:F0} rows/s");
                }
            }
        }

        // 3. Cache effect: SDCA (several passes over the data) with and without AppendCacheCheckpoint.
        {
            var cacheData = Load(ml, MakeRows(cacheRows, channels, samples), channels * samples);
            foreach (bool cache in new[] { false, true })
            {
                var embed = ml.Transforms.EegDinoEmbed(options);
                var trainer = ml.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: "Label", featureColumnName: options.OutputColumnName, maximumNumberOfIterations: 10);
                var watch = Stopwatch.StartNew();
                ITransformer fitted = cache
                    ? embed.AppendCacheCheckpoint(ml).Append(trainer).Fit(cacheData)
                    : embed.Append(trainer).Fit(cacheData);
                Console.WriteLine($"cache: SDCA 10 passes over {cacheRows} rows, {(cache ? "with" : "without")} AppendCacheCheckpoint: {watch.Elapsed.TotalSeconds:F1} s");
                foreach (var disposable in ((IEnumerable<ITransformer>)fitted).OfType<IDisposable>()) disposable.Dispose();
            }
        }
        return ExitCodes.Ok;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    private static List<Row> MakeRows(int count, int channels, int samples) => Stream(count, channels, samples).ToList();

    private static IEnumerable<Row> Stream(int count, int channels, int samples)
    {
        var random = new Random(1);
        for (int i = 0; i < count; i++)
        {
            bool label = i % 2 == 0;
            var signal = new float[channels * samples];
            for (int k = 0; k < signal.Length; k++) signal[k] = (float)((random.NextDouble() - 0.5) * 60 + 30 * Math.Sin(k * (label ? 0.31 : 0.05)));
            yield return new Row { Signal = signal, Label = label };
        }
    }

    private static IDataView Load(MLContext ml, IEnumerable<Row> rows, int size)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Signal)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return ml.Data.LoadFromEnumerable(rows, definition);
    }
}
