using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.MLNet;

/// <summary>Output schema by column name, and every schema or data error with its message.</summary>
[TestClass]
public sealed class EmbeddingSchemaTests
{
    private sealed class ScalarRow { public float Signal { get; set; } }
    private sealed class VariableRow { public float[] Signal { get; set; } = []; }
    private sealed class DoubleRow { [VectorType(4)] public double[] Signal { get; set; } = []; }

    private static SchemaShape ShapeOf(DataViewSchema schema) => EegDino.ML.MLNet.Internals.SchemaShapes.FromSchema(schema);

    private static EegDinoEmbeddingOptions Options(int channels = 2, EegDinoEmbeddingKind kind = EegDinoEmbeddingKind.PooledMean) =>
        new() { NumberOfChannels = channels, OutputKind = kind };

    [TestMethod]
    [DataRow(EegDinoEmbeddingKind.PooledMean, 40, 1)]
    [DataRow(EegDinoEmbeddingKind.GlobalToken, 40, 1)]
    [DataRow(EegDinoEmbeddingKind.Tokens, (1 + 2 * 3) * 40, 2)]
    public void OutputSchemaHasTheInputColumnsAndAFixedSizeEmbedding(EegDinoEmbeddingKind kind, int expectedSize, int dimensions)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(3, 2, 450), 900);
        var estimator = SignalData.TinyEstimator(Options(kind: kind));

        SchemaShape shape = estimator.GetOutputSchema(ShapeOf(data.Schema));
        var shapeColumn = shape.Single(c => c.Name == "Embedding");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, shapeColumn.Kind);
        Assert.AreEqual(NumberDataViewType.Single, shapeColumn.ItemType);
        CollectionAssert.AreEquivalent(new[] { "Signal", "Id", "Name", "Label", "Embedding" }, shape.Select(c => c.Name).ToArray());

        using var transformer = estimator.Fit(data);
        DataViewSchema schema = transformer.Transform(data).Schema;
        CollectionAssert.AreEqual(new[] { "Signal", "Id", "Name", "Label", "Embedding" }, schema.Select(c => c.Name).ToArray());
        var type = (VectorDataViewType)schema["Embedding"].Type;
        Assert.AreEqual(NumberDataViewType.Single, type.ItemType);
        Assert.AreEqual(expectedSize, type.Size);
        Assert.HasCount(dimensions, type.Dimensions);
        if (kind == EegDinoEmbeddingKind.Tokens) CollectionAssert.AreEqual(new[] { 7, 40 }, type.Dimensions.ToArray());
        Assert.AreEqual(schema.Count, transformer.GetOutputSchema(data.Schema).Count);
    }

    [TestMethod]
    public void OutputColumnNamedLikeTheInputHidesIt()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(3, 2, 450), 900);
        var options = Options();
        options.OutputColumnName = "Signal";
        using var transformer = SignalData.TinyEstimator(options).Fit(data);
        var schema = transformer.Transform(data).Schema;
        Assert.AreEqual(40, ((VectorDataViewType)schema["Signal"].Type).Size);
        Assert.HasCount(3, SignalData.ReadEmbeddings(transformer.Transform(data), "Signal"));
    }

    [TestMethod]
    public void MissingColumnIsNamed()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(3, 2, 450), 900);
        var options = Options();
        options.InputColumnName = "Eeg";
        var estimator = SignalData.TinyEstimator(options);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, "Input column 'Eeg' is not in the data");
        StringAssert.Contains(e.Message, "'Signal'");
        var s = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(ShapeOf(data.Schema)));
        StringAssert.Contains(s.Message, "'Eeg'");
    }

    [TestMethod]
    public void ScalarColumnIsRejectedWithItsType()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new ScalarRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options()).Fit(data));
        StringAssert.Contains(e.Message, "must be a Vector<Single> of known size");
        StringAssert.Contains(e.Message, "found Single");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options()).GetOutputSchema(ShapeOf(data.Schema)));
    }

    [TestMethod]
    public void DoubleVectorIsRejectedWithItsType()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new DoubleRow { Signal = new double[4] } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options()).Fit(data));
        StringAssert.Contains(e.Message, "found Vector<Double, 4>");
    }

    [TestMethod]
    public void VariableSizeVectorIsRejected()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new[] { new VariableRow { Signal = new float[4] } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options()).Fit(data));
        StringAssert.Contains(e.Message, "variable size");
        var s = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options()).GetOutputSchema(ShapeOf(data.Schema)));
        StringAssert.Contains(s.Message, "variable size");
    }

    [TestMethod]
    public void SizeNotAMultipleOfTheChannelCountIsRejected()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(3, 1, 901), 901);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options(channels: 2)).Fit(data));
        StringAssert.Contains(e.Message, "901 values per row, which is not a multiple of numberOfChannels (2)");
    }

    [TestMethod]
    [DataRow(20)]
    [DataRow(23)]
    public void ChannelCountAboveTheModelsSlotsIsRejectedAtFit(int channels)
    {
        // The cap comes from the model's configuration (19 slots for the released sizes and the tiny fixture).
        var ml = new MLContext(seed: 1);
        IDataView data = SignalData.Load(ml, SignalData.Rows(2, channels, 200), channels * 200);
        // With the configuration given in the options the estimator refuses at once, else Fit does.
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SignalData.TinyEstimator(Options(channels: channels)).Fit(data));
        StringAssert.Contains(e.Message, $"NumberOfChannels is {channels}; the model has 19 channel slots");
    }

    [TestMethod]
    public void NoChannelsIsRejectedAtOnce()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.EegDinoEmbed("Embedding", "Signal", "model.safetensors", 0));
        StringAssert.Contains(e.Message, "NumberOfChannels is 0; at least 1 channel");
    }

    [TestMethod]
    public void BadOptionsAreRejectedWithTheirValue()
    {
        var ml = new MLContext(seed: 1);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.EegDinoEmbed(new EegDinoEmbeddingOptions { ModelPath = "m", BatchSize = 0 })).Message, "BatchSize is 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.EegDinoEmbed(new EegDinoEmbeddingOptions { ModelPath = "m", InputScale = float.NaN })).Message, "InputScale is NaN");
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.EegDinoEmbed(new EegDinoEmbeddingOptions { ModelPath = "" }));
    }

    [TestMethod]
    public void NanInARowNamesTheRowChannelAndSample()
    {
        var ml = new MLContext(seed: 1);
        var rows = SignalData.Rows(10, 2, 450);
        rows[6].Signal[450 + 17] = float.NaN;
        IDataView data = SignalData.Load(ml, rows, 900);
        using var transformer = SignalData.TinyEstimator(Options()).Fit(data);

        var e = Assert.ThrowsExactly<EegDinoException>(() => SignalData.ReadEmbeddings(transformer.Transform(data)));
        StringAssert.Contains(e.Message, "Row 6 of column 'Signal' holds NaN at channel 1, sample 17");

        // Rows without the NaN still pass if the bad one is filtered out; reading other columns never throws.
        Assert.HasCount(10, transformer.Transform(data).GetColumn<int>("Id").ToArray());
    }

    [TestMethod]
    public void InfinityInAPredictionEngineRowIsNamed()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = TinyModel.Load(ml, TinyModel.Rows(1));
        using var transformer = SignalData.TinyEstimator(new EegDinoEmbeddingOptions { NumberOfChannels = TinyModel.Channels }).Fit(data);
        using var engine = ml.Model.CreatePredictionEngine<TinySignal, TinyEmbedding>(transformer);
        var signal = new float[TinyModel.Channels * TinyModel.Samples];
        signal[3 * TinyModel.Samples + 5] = float.PositiveInfinity;

        var e = Assert.ThrowsExactly<EegDinoException>(() => engine.Predict(new TinySignal { Signal = signal }));
        StringAssert.Contains(e.Message, "channel 3, sample 5");
    }
}
