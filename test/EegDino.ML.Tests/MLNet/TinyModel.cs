using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>The tiny fixture model (16 channels, D = 40) for transform tests with the real network.</summary>
internal static class TinyModel
{
    public const int Channels = 16;
    public const int Samples = 1000;

    /// <summary>Options for the tiny fixture: its config (the file has none), and the fixture input is already scaled.</summary>
    public static EegDinoEmbeddingOptions Options(string? modelPath = null, int batchSize = 16,
        EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean, float inputScale = 1f) => new()
    {
        ModelPath = modelPath ?? Fixtures.Weights("tiny"),
        Config = Fixtures.Config("tiny"),
        NumberOfChannels = Channels,
        InputScale = inputScale,
        BatchSize = batchSize,
        OutputKind = kind,
    };

    /// <summary>The fixture input [3, 16, 1000] as three rows.</summary>
    public static List<SignalData.Row> FixtureRows()
    {
        float[] input = Fixtures.Input("tiny", out long[] shape);
        Assert.AreEqual(Channels, (int)shape[1]);
        Assert.AreEqual(Samples, (int)shape[2]);
        int size = Channels * Samples;
        return Enumerable.Range(0, (int)shape[0])
            .Select(b => new SignalData.Row { Signal = input.AsSpan(b * size, size).ToArray(), Id = b, Name = $"row{b}", Label = b % 2 == 0 })
            .ToList();
    }

    public static IDataView Load(MLContext ml, IEnumerable<SignalData.Row> rows) => SignalData.Load(ml, rows, Channels * Samples);

    /// <summary>Synthetic microvolt-like rows for the tiny model.</summary>
    public static List<SignalData.Row> Rows(int count, int seed = 1) => SignalData.Rows(count, Channels, Samples, seed);

    public static float[] Flatten(IEnumerable<float[]> rows) => rows.SelectMany(r => r).ToArray();
}

/// <summary>Input class for PredictionEngine with the tiny model's signal size.</summary>
public sealed class TinySignal
{
    [VectorType(TinyModel.Channels * TinyModel.Samples)]
    public float[] Signal { get; set; } = [];
}

/// <summary>Output class for PredictionEngine.</summary>
public sealed class TinyEmbedding
{
    public float[] Embedding { get; set; } = [];
}
