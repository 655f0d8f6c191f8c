using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>Loading one encoder of a training checkpoint never reads the other one's tensors, nor its projector heads.</summary>
[TestClass]
public sealed class WeightSourceReadingTests
{
    [TestMethod]
    [DataRow(EegDinoWeightSource.Student, "teacher")]
    [DataRow(EegDinoWeightSource.Teacher, "student")]
    public void TheOtherEncoderIsNotRead(EegDinoWeightSource source, string other)
    {
        var contents = CheckpointReader.Read(Fixtures.File("tiny.checkpoint.pt"), source);
        Assert.IsFalse(contents.Tensors.Keys.Any(k => k.Contains($".{other}.", StringComparison.Ordinal)), "no tensor of the other encoder is read");
        Assert.HasCount(45, contents.NotRead.Where(e => e.Key.Contains($".{other}.", StringComparison.Ordinal) && e.Reason.StartsWith($"{other} encoder", StringComparison.Ordinal)));
        Assert.IsTrue(contents.NotRead.Where(e => !e.Key.Contains($".{other}.", StringComparison.Ordinal)).All(e => e.Reason == "DINO projector head"),
            string.Join(", ", contents.NotRead.Select(e => e.Key)));
        Assert.IsTrue(contents.Tensors.Keys.All(k => k.StartsWith($"module.{source.ToString().ToLowerInvariant()}.", StringComparison.Ordinal)), "only the chosen encoder is read");

        var all = CheckpointReader.Read(Fixtures.File("tiny.checkpoint.pt"));
        Assert.AreEqual(contents.Tensors.Count + contents.NotRead.Count, all.Tensors.Count, "without a source everything is read");
    }

    [TestMethod]
    public void AskingForAnAbsentEncoderNamesThePresentOne()
    {
        byte[] zip = CheckpointTestFiles.Archive(
            PickleWriter.StateDict("module.student.global_tokens", 4, 0, [1, 1, 4], [4, 4, 1]),
            CheckpointTestFiles.Floats(1, 2, 3, 4));
        string path = TempFolder.NewFile("student-only", ".pt");
        File.WriteAllBytes(path, zip);
        try
        {
            var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => CheckpointReader.Read(path, EegDinoWeightSource.Teacher));
            StringAssert.Contains(e.Message, "holds only the student encoder");
            Assert.HasCount(1, CheckpointReader.Read(path, EegDinoWeightSource.Student).Tensors);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
