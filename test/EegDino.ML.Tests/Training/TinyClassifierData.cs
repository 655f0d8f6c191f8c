using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>The tiny fixture's input rows [3, 16, 1000] labelled a, b, c, for head-parity tests (3-class head).</summary>
internal static class TinyClassifierData
{
    public const int Channels = 16;
    public const int Samples = 1000;

    public sealed class Row
    {
        public string Class { get; set; } = "";
        [VectorType(Channels * Samples)]
        public float[] Signal { get; set; } = [];
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];
        public uint PredictedLabel { get; set; }
    }

    private sealed class ClassName
    {
        public string Class { get; set; } = "";
    }

    public static List<Row> FixtureRows()
    {
        float[] input = Fixtures.Input("tiny", out long[] shape);
        int size = Channels * Samples;
        return Enumerable.Range(0, (int)shape[0])
            .Select(b => new Row { Class = "abc"[b].ToString(), Signal = input.AsSpan(b * size, size).ToArray() })
            .ToList();
    }

    public static IDataView Load(MLContext ml, IEnumerable<Row> rows, int classes = 3)
    {
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        var keys = ml.Data.LoadFromEnumerable("abcdefgh"[..classes].Select(c => new ClassName { Class = c.ToString() }));
        return ml.Transforms.Conversion.MapValueToKey("Label", nameof(Row.Class), keyData: keys).Fit(raw).Transform(raw);
    }

    /// <summary>Score with the fixture's head unchanged: no training, input already scaled.</summary>
    public static EegDinoClassifierTrainer.Options ScoreOnly(string? modelPath = null) => new()
    {
        ModelPath = modelPath ?? Fixtures.Weights("tiny"),
        Config = Fixtures.Config("tiny"),
        NumberOfChannels = Channels,
        InputScale = 1f,
        NumberOfEpochs = 0,
    };

    /// <summary>Softmax of the fixture's float64 logits, [B, classes].</summary>
    public static double[][] ExpectedProbabilities()
    {
        var (shape, logits) = Fixtures.Io("tiny")["logits.f64"];
        int classes = (int)shape[1];
        return Enumerable.Range(0, (int)shape[0]).Select(b =>
        {
            var row = logits.AsSpan(b * classes, classes).ToArray();
            double max = row.Max();
            var e = row.Select(v => Math.Exp(v - max)).ToArray();
            double sum = e.Sum();
            return e.Select(v => v / sum).ToArray();
        }).ToArray();
    }
}
