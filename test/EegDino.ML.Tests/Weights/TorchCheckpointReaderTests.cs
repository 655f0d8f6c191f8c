using EegDino.ML.Weights;
using EegDino.ML.Weights.Torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>Reading well-formed torch.save files: values, dtypes, views, non-tensor entries.</summary>
[TestClass]
public sealed class TorchCheckpointReaderTests
{
    [TestMethod]
    public void TinyCheckpointStudentEqualsTheFixtureWeightsBitForBit()
    {
        var expected = CheckpointTestFiles.ReadSafetensorsF32(CheckpointTestFiles.Fixture("tiny.weights.safetensors"));
        var checkpoint = TorchCheckpointReader.Read(CheckpointTestFiles.Fixture("tiny.checkpoint.pt"));

        Assert.AreEqual("state_dict", checkpoint.StateDictPath);
        var encoderKeys = expected.Keys.Where(k => !k.StartsWith("final_layer.", StringComparison.Ordinal)).ToList();
        Assert.IsGreaterThan(20, encoderKeys.Count);
        foreach (string key in encoderKeys)
        {
            Assert.IsTrue(checkpoint.Tensors.TryGetValue("module.student." + key, out WeightTensor? actual), $"module.student.{key} is missing");
            CollectionAssert.AreEqual(expected[key].Shape, actual.Shape, key);
            Assert.AreEqual("F32", actual.SourceDType);
            for (int i = 0; i < actual.Data.Length; i++)
            {
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected[key].Data[i]), BitConverter.SingleToInt32Bits(actual.Data[i]), $"{key}[{i}]");
            }
        }
        Assert.AreEqual(encoderKeys.Count, checkpoint.Tensors.Keys.Count(k => k.StartsWith("module.student.", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void TinyCheckpointTeacherIsTheStudentPlusSmallNoise()
    {
        var checkpoint = TorchCheckpointReader.Read(CheckpointTestFiles.Fixture("tiny.checkpoint.pt"));
        var students = checkpoint.Tensors.Where(kv => kv.Key.StartsWith("module.student.", StringComparison.Ordinal)).ToList();
        double maxDiff = 0;
        foreach (var (key, student) in students)
        {
            var teacher = checkpoint.Tensors["module.teacher." + key["module.student.".Length..]];
            CollectionAssert.AreEqual(student.Shape, teacher.Shape, key);
            for (int i = 0; i < student.Data.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(student.Data[i] - teacher.Data[i]));
        }
        // The fixture's teacher is student + 0.01 * standard normal noise.
        Assert.IsGreaterThan(0.001, maxDiff);
        Assert.IsLessThan(0.1, maxDiff);
    }

    [TestMethod]
    public void TinyCheckpointReportsHeadsEpochAndOptimizer()
    {
        var checkpoint = TorchCheckpointReader.Read(CheckpointTestFiles.Fixture("tiny.checkpoint.pt"));
        Assert.IsTrue(checkpoint.Tensors.Keys.Any(k => k.StartsWith("module.student_head.", StringComparison.Ordinal)));
        Assert.IsTrue(checkpoint.Tensors.Keys.Any(k => k.StartsWith("module.teacher_head.", StringComparison.Ordinal)));
        CollectionAssert.Contains(checkpoint.OtherEntries.ToList(), "epoch = int 7");
        string optimizer = checkpoint.OtherEntries.Single(e => e.StartsWith("optimizer", StringComparison.Ordinal));
        StringAssert.Contains(optimizer, "2 tensors");
        Assert.AreEqual("tiny.checkpoint", checkpoint.ArchiveName);
    }

    [TestMethod]
    public void SetAsideTensorsAreLeftUnreadWithTheirReason()
    {
        var checkpoint = TorchCheckpointReader.Read(CheckpointTestFiles.Fixture("tiny.checkpoint.pt"),
            _ => k => k.StartsWith("module.student.", StringComparison.Ordinal) ? null : "not the student");
        Assert.IsTrue(checkpoint.Tensors.Keys.All(k => k.StartsWith("module.student.", StringComparison.Ordinal)));
        Assert.IsTrue(checkpoint.SetAside.Any(t => t.Key.StartsWith("module.teacher.", StringComparison.Ordinal) && t.Reason == "not the student"));
    }

    [TestMethod]
    public void HalfBFloat16AndDoubleConvertExactlyAsTorchDoes()
    {
        var c = TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("dtypes.pt"));
        Assert.AreEqual("", c.StateDictPath);
        foreach (var (name, dtype) in new[] { ("half", "F16"), ("bf16", "BF16"), ("f64", "F64") })
        {
            var actual = c.Tensors[name];
            var expected = c.Tensors[name + "_as_f32"];
            Assert.AreEqual(dtype, actual.SourceDType);
            CollectionAssert.AreEqual(expected.Shape, actual.Shape);
            CollectionAssert.AreEqual(expected.Data, actual.Data, name);
        }
    }

    [TestMethod]
    public void StridedViewsMatchTheirContiguousCopies()
    {
        var c = TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("views.pt"));
        string[] names = ["transposed", "slice", "column", "whole", "expanded", "scalar", "empty", "half_slice"];
        foreach (string name in names)
        {
            var view = c.Tensors[name];
            var reference = c.Tensors[name + "_ref"];
            CollectionAssert.AreEqual(reference.Shape, view.Shape, name);
            CollectionAssert.AreEqual(reference.Data, view.Data, name);
        }
        Assert.IsEmpty(c.Tensors["scalar"].Shape);
        Assert.AreEqual(0, c.Tensors["empty"].Data.Length);
    }

    [TestMethod]
    public void NonFloatTensorsAreReportedNotRead()
    {
        var c = TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("tiny.finetuned.pt"));
        var index = c.NotLoaded.Single();
        Assert.AreEqual("encoder.encoder_layers.0.attn.relative_position_index", index.Key);
        Assert.AreEqual("I64", index.DType);
        Assert.AreEqual("not a float tensor", index.Reason);
        Assert.IsTrue(c.Tensors.ContainsKey("full_linear.weight"));
    }

    [TestMethod]
    public void ForeignObjectsBecomeInertPlaceholders()
    {
        var c = TorchCheckpointReader.Read(CheckpointTestFiles.Checkpoint("namespace.pt"));
        Assert.AreEqual(1, c.Tensors.Count);
        CollectionAssert.AreEqual(new float[] { 1, 1, 1, 1 }, c.Tensors["w"].Data);
        string text = string.Join("\n", c.OtherEntries);
        StringAssert.Contains(text, "args: argparse.Namespace object");
        StringAssert.Contains(text, "best_metric: numpy.core.multiarray.scalar object");
        StringAssert.Contains(text, "device: torch.device object");
        StringAssert.Contains(text, "epoch = int 3");
    }

    [TestMethod]
    public void HandWrittenStridedTensorHonoursOffsetAndStride()
    {
        // A [2, 2] view at offset 1 with strides (1, 3) of a 6-element storage: the transpose of rows 0..1 of a 2x3 layout.
        byte[] pickle = PickleWriter.StateDict("w", numel: 6, offset: 1, size: [2, 2], stride: [1, 3]);
        byte[] zip = CheckpointTestFiles.Archive(pickle, CheckpointTestFiles.Floats(0, 1, 2, 3, 4, 5));
        var c = TorchCheckpointReader.Read(new MemoryStream(zip), "hand.pt");
        CollectionAssert.AreEqual(new float[] { 1, 4, 2, 5 }, c.Tensors["w"].Data);
    }
}
