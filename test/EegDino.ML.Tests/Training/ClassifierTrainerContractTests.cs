using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Tests.Training;

/// <summary>
/// The trainer against the model it loads (fine-tuned layers and channels checked against the
/// configuration), MLContext cancellation, the progress channel, and the input contract it saves.
/// </summary>
[TestClass]
public sealed class ClassifierTrainerContractTests
{
    [TestMethod]
    public void MoreFineTunedLayersThanTheModelHasAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var options = RhythmData.Options(epochs: 1);
        options.Mode = EegDinoTrainingMode.FineTuneLastLayers;
        options.NumberOfFineTunedLayers = 13;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.EegDino(options).Fit(RhythmData.Load(ml, RhythmData.Rows(4, seed: 1))));
        StringAssert.Contains(e.Message, "NumberOfFineTunedLayers is 13; the model has 2 layers, so 1 to 2 can be fine-tuned");
    }

    [TestMethod]
    public void MoreChannelsThanTheModelsSlotsAreNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = RhythmData.Load(ml, RhythmData.Rows(4, seed: 1));
        var options = RhythmData.Options(epochs: 1);
        options.NumberOfChannels = 20; // 16 x 400 values read as 20 x 320: the schema fits, the model's 19 slots do not

        // With the configuration in the options the trainer refuses at once...
        var early = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.EegDino(options));
        StringAssert.Contains(early.Message, "NumberOfChannels is 20; the model has 19 channel slots");

        // ...and with the configuration in the weights' metadata, Fit does once it has read it.
        var (tensors, _) = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("tiny"));
        string path = Path.Combine(Path.GetTempPath(), $"eegdino-tiny-config-{Guid.NewGuid():N}.safetensors");
        EegDino.ML.Weights.SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["config"] = Fixtures.Config("tiny").ToJson() });
        try
        {
            options.Config = null;
            options.ModelPath = path;
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.EegDino(options).Fit(data));
            StringAssert.Contains(e.Message, "NumberOfChannels is 20; the model has 19 channel slots");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>ML.NET cancels an MLContext through its internal ICancelable (AutoML's way to stop trainers).</summary>
    private static void Cancel(MLContext ml) =>
        typeof(MLContext).Assembly.GetReferencedAssemblies().Select(System.Reflection.Assembly.Load)
            .Select(a => a.GetType("Microsoft.ML.Runtime.ICancelable")).First(t => t is not null)!
            .GetMethod("CancelExecution")!.Invoke(ml, null);

    [TestMethod]
    public void CancellingTheMLContextStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        var options = RhythmData.Options(epochs: 50);
        int epochs = 0;
        options.EpochCompleted = _ => { if (++epochs == 2) Cancel(ml); };
        var data = RhythmData.Load(ml, RhythmData.Rows(16, seed: 2));
        var e = Assert.Throws<Exception>(() => ml.MulticlassClassification.Trainers.EegDino(options).Fit(data));
        StringAssert.Contains(e.Message, "cancel", StringComparison.OrdinalIgnoreCase);
        Assert.AreEqual(2, epochs, "no epoch ran after the cancellation");
    }

    [TestMethod]
    public void TheSavedClassifierStatesItsInputContract()
    {
        var ml = new MLContext(seed: 1);
        var options = RhythmData.Options(epochs: 1);
        options.Model.ChannelNames = Enumerable.Range(0, RhythmData.Channels).Select(i => $"E{i}").ToArray();
        options.Model.Filters = new EegDino.ML.Eeg.EegFilterOptions { LowFrequencyHz = 0.5, HighFrequencyHz = 40, NotchFrequenciesHz = [50] };
        var data = RhythmData.Load(ml, RhythmData.Rows(8, seed: 2));
        using var model = ml.MulticlassClassification.Trainers.EegDino(options).Fit(data);
        var contract = model.InputContract;
        Assert.AreEqual(RhythmData.Channels, contract.NumberOfChannels);
        Assert.AreEqual("E15", contract.ChannelNames![15]);
        Assert.AreEqual(RhythmData.Samples, contract.SamplesPerChannel);
        Assert.AreEqual(2.0, contract.WindowSeconds);
        Assert.AreEqual(0.01f, contract.InputScale);

        using var zip = new MemoryStream();
        ml.Model.Save(model, data.Schema, zip);
        zip.Position = 0;
        var loaded = ml.Model.Load(zip, out _);
        var reloaded = loaded as EegDinoClassificationTransformer ?? ((TransformerChain<ITransformer>)loaded).OfType<EegDinoClassificationTransformer>().Single();
        Assert.AreEqual(contract, reloaded.InputContract);
        var loader = reloaded.InputContract.ToLoaderOptions();
        Assert.AreEqual(options.Model.Filters, loader.Filters, "the loader filters new recordings as the training rows were");
        StringAssert.Contains(reloaded.InputContract.Describe(), "filtered l_freq=0.5 h_freq=40 notch=50");
        Assert.AreEqual(2.0, loader.Windows.WindowSeconds);
        CollectionAssert.AreEqual(contract.ChannelNames!.ToArray(), loader.Montage.ChannelOrder.ToArray());
        StringAssert.Contains(reloaded.InputContract.Describe(), "16 channels (E0, E1");
        ((IDisposable)loaded).Dispose();
    }
}
