using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>Bad input gives a clear error naming the column, the expected and the actual value.</summary>
[TestClass]
public sealed class ClassifierInputErrorTests
{
    private sealed class FloatLabelRow
    {
        public float Label { get; set; }
        [VectorType(RhythmData.Size)]
        public float[] Signal { get; set; } = [];
    }

    private sealed class OddSizeRow
    {
        public string Class { get; set; } = "";
        [VectorType(RhythmData.Size + 1)]
        public float[] Signal { get; set; } = [];
    }

    [TestMethod]
    public void LabelThatIsNotAKey()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatLabelRow { Signal = new float[RhythmData.Size] } });
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(data));
        StringAssert.Contains(error.Message, "Label column 'Label'");
        StringAssert.Contains(error.Message, "Single");
        StringAssert.Contains(error.Message, "MapValueToKey");
    }

    [TestMethod]
    public void LabelKeyWithOneClass()
    {
        var ml = new MLContext(seed: 1);
        var rows = RhythmData.Rows(4, seed: 1).Where(r => r.Class == "alpha").ToList();
        var raw = ml.Data.LoadFromEnumerable(rows, SchemaFor(RhythmData.Size));
        var data = ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(raw).Transform(raw);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(data));
        StringAssert.Contains(error.Message, "key with 1 value");
    }

    [TestMethod]
    public void TrainingDataWithOnlyOneObservedClass()
    {
        var ml = new MLContext(seed: 1);
        var data = RhythmData.Load(ml, RhythmData.Rows(6, seed: 1).Where(r => r.Class == "beta"));
        var error = Assert.ThrowsExactly<EegDinoException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(data));
        StringAssert.Contains(error.Message, "only one class (beta)");
    }

    [TestMethod]
    public void EmptyTrainingSet()
    {
        var ml = new MLContext(seed: 1);
        var data = RhythmData.Load(ml, []);
        var error = Assert.ThrowsExactly<EegDinoException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(data));
        StringAssert.Contains(error.Message, "training data is empty");
    }

    [TestMethod]
    public void SignalOfTheWrongSize()
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(new[]
        {
            new OddSizeRow { Class = "alpha", Signal = new float[RhythmData.Size + 1] },
            new OddSizeRow { Class = "beta", Signal = new float[RhythmData.Size + 1] },
        });
        var data = ml.Transforms.Conversion.MapValueToKey("Label", "Class").Fit(raw).Transform(raw);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(data));
        StringAssert.Contains(error.Message, "Signal");
        StringAssert.Contains(error.Message, $"{RhythmData.Size + 1} values per row");
    }

    [TestMethod]
    public void ScoringSignalsOfAnotherLengthThanTrained()
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.MulticlassClassification.Trainers.EegDino(TinyClassifierData.ScoreOnly()).Fit(TinyClassifierData.Load(ml, TinyClassifierData.FixtureRows()));
        var other = RhythmData.Load(ml, RhythmData.Rows(2, seed: 1));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Transform(other));
        StringAssert.Contains(error.Message, "trained on 1000");
    }

    [TestMethod]
    public void NonFiniteSampleNamesRowChannelAndSample()
    {
        var ml = new MLContext(seed: 1);
        var rows = RhythmData.Rows(4, seed: 1);
        rows[2].Signal[3 * RhythmData.Samples + 17] = float.NaN;
        var error = Assert.ThrowsExactly<EegDinoException>(() => ml.MulticlassClassification.Trainers.EegDino(RhythmData.Options()).Fit(RhythmData.Load(ml, rows)));
        StringAssert.Contains(error.Message, "Row 2");
        StringAssert.Contains(error.Message, "channel 3, sample 17");
    }

    [TestMethod]
    public void OptionsOutOfRangeAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.EegDino(labelColumnName: "Label", signalColumnName: "Signal", modelPath: "m.safetensors", numberOfChannels: 0));
        StringAssert.Contains(error.Message, "NumberOfChannels is 0");
        Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.EegDino(modelPath: ""));
        var options = RhythmData.Options();
        options.EarlyStopping = EegDinoEarlyStopping.ValidationLoss;
        var noValidation = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.MulticlassClassification.Trainers.EegDino(options).Fit(RhythmData.Load(ml, RhythmData.Rows(4, seed: 1))));
        StringAssert.Contains(noValidation.Message, "needs a validation set");
    }

    private static SchemaDefinition SchemaFor(int size)
    {
        var definition = SchemaDefinition.Create(typeof(RhythmData.Row));
        definition[nameof(RhythmData.Row.Signal)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        return definition;
    }
}
