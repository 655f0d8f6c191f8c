using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>
/// A separable two-class EEG-like problem for the tiny fixture model (16 channels, 400 samples =
/// 2 s at 200 Hz): class "alpha" carries an 8-12 Hz rhythm, class "beta" an 18-25 Hz rhythm, on the
/// last three ("occipital") channels, with random frequency, phase and amplitude per row, on top of
/// white noise on every channel. Microvolts.
/// </summary>
internal static class RhythmData
{
    public const int Channels = 16;
    public const int Samples = 400;
    public const int Size = Channels * Samples;

    public sealed class Row
    {
        public string Class { get; set; } = "";
        public float[] Signal { get; set; } = [];
    }

    private sealed class ClassName
    {
        public string Class { get; set; } = "";
    }

    public static List<Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        for (int i = 0; i < count; i++)
        {
            bool alpha = i % 2 == 0;
            double frequency = alpha ? 8 + 4 * random.NextDouble() : 18 + 7 * random.NextDouble();
            double amplitude = 30 + 15 * random.NextDouble();
            var signal = new float[Size];
            for (int c = 0; c < Channels; c++)
            {
                double phase = 2 * Math.PI * random.NextDouble();
                bool occipital = c >= Channels - 3;
                for (int t = 0; t < Samples; t++)
                {
                    double noise = 10 * (random.NextDouble() - 0.5) * 2;
                    double rhythm = occipital ? amplitude * Math.Sin(2 * Math.PI * frequency * t / 200.0 + phase) : 0;
                    signal[c * Samples + t] = (float)(rhythm + noise);
                }
            }
            rows.Add(new Row { Class = alpha ? "alpha" : "beta", Signal = signal });
        }
        return rows;
    }

    /// <summary>The rows with <c>Label</c> = key of <c>Class</c> (key order alpha, beta) and a known-size <c>Signal</c>.</summary>
    public static IDataView Load(MLContext ml, IEnumerable<Row> rows)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Signal)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Size);
        IDataView raw = ml.Data.LoadFromEnumerable(rows, definition);
        var keys = ml.Data.LoadFromEnumerable(new[] { new ClassName { Class = "alpha" }, new ClassName { Class = "beta" } });
        return ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class), keyData: keys).Fit(raw).Transform(raw);
    }

    /// <summary>Options for the tiny fixture model (its config is not in the file) with a fresh 2-class head.</summary>
    public static EegDinoClassifierTrainer.Options Options(int epochs = 30) => new()
    {
        ModelPath = Fixtures.Weights("tiny"),
        Config = Fixtures.Config("tiny"),
        NumberOfChannels = Channels,
        InitialHead = EegDinoInitialHead.Fresh,
        NumberOfEpochs = epochs,
        BatchSize = 8,
        LearningRate = 1e-2,
        Seed = 7,
    };

    /// <summary>The Score column of every row, in order.</summary>
    public static List<float[]> Scores(IDataView scored)
    {
        var result = new List<float[]>();
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }
}
