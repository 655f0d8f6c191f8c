using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>
/// Training checkpoints in other naming variants (TestData/checkpoints, written by torch 1.13 with
/// make_checkpoints.py): the chosen encoder is taken, everything else is set aside with the reason
/// whatever its name (projectors, DINO heads, loss centres, EMA copies, optimizer state), and only
/// missing, mis-shaped or unexpected keys inside the encoder itself are refused.
/// </summary>
[TestClass]
public sealed class DinoCheckpointVariantTests
{
    private static EegDinoEncoderOptions Options(EegDinoWeightSource source = EegDinoWeightSource.Student) =>
        new() { Config = Fixtures.Config("tiny"), InputScale = 1f, WeightSource = source };

    private static void AssertFixtureEncoder(string path)
    {
        using var encoder = EegDinoEncoder.Load(path, Options());
        float[] input = Fixtures.Input("tiny", out long[] shape);
        var encoding = encoder.EncodeBatch(input, (int)shape[0], (int)shape[1]);
        double error = Fixtures.Nrmse(encoding.Tokens, Fixtures.Io("tiny")["encoder_output.f64"].Data);
        Assert.IsLessThanOrEqualTo(Fixtures.Tolerance, error, $"{Path.GetFileName(path)}: encoder NRMSE {error:E2}");
        Assert.IsFalse(encoder.HasHead);
    }

    [TestMethod]
    [DataRow("tiny.dino-projectors.pt")]
    [DataRow("tiny.dino-multicrop.pt")]
    [DataRow("tiny.momentum.pt")]
    public void TheEncoderIsTakenAndGivesTheFixtureOutputs(string file) => AssertFixtureEncoder(CheckpointTestFiles.Checkpoint(file));

    [TestMethod]
    public void ProjectorsNamedStudentProjectorAndTeacherProjectorAreSetAside()
    {
        // The case of issue 9 point 7: refused before as "unexpected 2: student_projector.mlp.0.weight, ...".
        string path = CheckpointTestFiles.Checkpoint("tiny.dino-projectors.pt");
        var contents = CheckpointReader.Read(path, EegDinoWeightSource.Student);
        var reasons = contents.NotRead.ToDictionary(e => e.Key, e => e.Reason);
        Assert.AreEqual("DINO projector head", reasons["module.student_projector.mlp.0.weight"]);
        Assert.AreEqual("DINO projector head", reasons["module.teacher_projector.last_layer.weight_v"]);
        Assert.AreEqual("teacher encoder (source is student)", reasons["module.teacher.global_tokens"]);
        Assert.IsTrue(contents.Tensors.Keys.All(k => k.StartsWith("module.student.", StringComparison.Ordinal)), "nothing else is read");

        var weights = NetworkWeights.Load(path, EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        StringAssert.Contains(weights.Description, "8 DINO projector head");
    }

    [TestMethod]
    public void TheDinoRepositoryLayoutSetsAsideHeadsOptimizerAndLossCentre()
    {
        string path = CheckpointTestFiles.Checkpoint("tiny.dino-multicrop.pt");
        var contents = CheckpointReader.Read(path, EegDinoWeightSource.Student);
        var reasons = contents.NotRead.ToDictionary(e => e.Key, e => e.Reason);
        Assert.AreEqual("DINO projector head", reasons["student.head.mlp.0.weight"], "DINO's head inside the student wrapper");
        Assert.AreEqual("teacher encoder (source is student)", reasons["teacher.backbone.global_tokens"]);
        Assert.AreEqual("outside the student encoder (dino_loss.*)", reasons["dino_loss.center"]);
        Assert.AreEqual("outside the student encoder (optimizer.*)", reasons["optimizer.state.0.exp_avg"]);
        Assert.IsTrue(contents.Tensors.Keys.All(k => k.StartsWith("student.backbone.", StringComparison.Ordinal)), "nothing else is read");
        Assert.IsTrue(contents.Notes.Any(n => n.StartsWith("args: argparse.Namespace object", StringComparison.Ordinal)), string.Join("\n", contents.Notes));
        Assert.IsTrue(contents.Notes.Contains("epoch = int 5"), string.Join("\n", contents.Notes));
    }

    [TestMethod]
    public void AnEmaCopyPredictorAndCentreBesideAPlainEncoderAreSetAside()
    {
        string path = CheckpointTestFiles.Checkpoint("tiny.momentum.pt");
        var weights = NetworkWeights.Load(path, EegDinoWeightSource.Student, Fixtures.Config("tiny"));
        StringAssert.Contains(weights.Description, "outside the encoder (momentum_backbone.*)");
        StringAssert.Contains(weights.Description, "outside the encoder (predictor.*)");
        StringAssert.Contains(weights.Description, "outside the encoder (center.*)");
        var contents = CheckpointReader.Read(path, EegDinoWeightSource.Student);
        Assert.IsTrue(contents.Tensors.Keys.All(k => k.StartsWith("backbone.", StringComparison.Ordinal)), "nothing else is read");
    }

    [TestMethod]
    [DataRow("tiny.dino-projectors.pt")]
    [DataRow("tiny.dino-multicrop.pt")]
    public void TheTeacherIsTheTeacher(string file)
    {
        string path = CheckpointTestFiles.Checkpoint(file);
        var student = NetworkWeights.Load(path, EegDinoWeightSource.Student, Fixtures.Config("tiny")).Tensors;
        var teacher = NetworkWeights.Load(path, EegDinoWeightSource.Teacher, Fixtures.Config("tiny")).Tensors;
        CollectionAssert.AreEquivalent(student.Keys.ToArray(), teacher.Keys.ToArray());
        CollectionAssert.AreEqual(student["global_tokens"].Data.Select(v => v + 1).ToArray(), teacher["global_tokens"].Data, "the teacher's global_tokens are the student's + 1");
        using var encoder = EegDinoEncoder.Load(path, Options(EegDinoWeightSource.Teacher));
        Assert.IsFalse(encoder.HasHead);
    }

    // --- refusals: only inside the encoder

    private static Dictionary<string, WeightTensor> DinoTensors()
    {
        var tiny = SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;
        var result = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (key, t) in tiny.Where(kv => !kv.Key.StartsWith("final_layer.", StringComparison.Ordinal)))
        {
            result["module.student." + key] = t;
            result["module.teacher." + key] = t;
        }
        // Whatever lies outside the student is set aside, even where it would be refused inside it.
        result["module.teacher.encoder_layers.0.attn.k_bias"] = new WeightTensor([1], [0]);
        result["module.student_projector.mlp.0.weight"] = new WeightTensor([2, 2], [1, 2, 3, 4]);
        result["module.center"] = new WeightTensor([1, 4], [0, 0, 0, 0]);
        result["module.ema.global_tokens"] = tiny["global_tokens"];
        return result;
    }

    private static string Write(Dictionary<string, WeightTensor> tensors)
    {
        string path = Path.Combine(Path.GetTempPath(), $"eegdino-dino-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    private static EegDinoWeightsMismatchException Refused(Dictionary<string, WeightTensor> tensors)
    {
        string path = Write(tensors);
        try
        {
            return Assert.ThrowsExactly<EegDinoWeightsMismatchException>(() => EegDinoEncoder.Load(path, Options()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void EverythingOutsideTheStudentIsSetAside()
    {
        string path = Write(DinoTensors());
        try
        {
            AssertFixtureEncoder(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AnUnexpectedKeyInsideTheStudentIsRefused()
    {
        var tensors = DinoTensors();
        tensors["module.student.encoder_layers.0.attn.k_bias"] = new WeightTensor([1], [0]);
        tensors["module.student.norm.weight"] = new WeightTensor([1], [0]);
        var e = Refused(tensors);
        CollectionAssert.AreEqual(new[] { "encoder_layers.0.attn.k_bias", "norm.weight" }, e.Unexpected.ToArray());
        Assert.IsEmpty(e.Missing);
    }

    [TestMethod]
    public void AMissingKeyInsideTheStudentIsRefused()
    {
        var tensors = DinoTensors();
        tensors.Remove("module.student.encoder_layers.1.mlp.fc2.bias");
        var e = Refused(tensors);
        CollectionAssert.AreEqual(new[] { "encoder_layers.1.mlp.fc2.bias" }, e.Missing.ToArray());
        Assert.IsEmpty(e.Unexpected);
    }

    [TestMethod]
    public void AMisShapedKeyInsideTheStudentIsRefused()
    {
        var tensors = DinoTensors();
        tensors["module.student.encoder_layers.0.mlp.fc1.bias"] = new WeightTensor([63], new float[63]);
        var e = Refused(tensors);
        Assert.AreEqual("encoder_layers.0.mlp.fc1.bias", e.MisShaped.Single().Key);
        StringAssert.Contains(e.Message, "expected [64] found [63]");
    }

    [TestMethod]
    public void AnUnexpectedKeyInAPlainEncoderIsRefusedAndForeignRootsAreSetAside()
    {
        var tiny = SafetensorsReader.Read(Fixtures.Weights("tiny")).Tensors;
        tiny["encoder_layers.0.attn.k_bias"] = new WeightTensor([1], [0]);
        tiny["ema.global_tokens"] = tiny["global_tokens"];
        var e = Refused(tiny);
        CollectionAssert.AreEqual(new[] { "encoder_layers.0.attn.k_bias" }, e.Unexpected.ToArray());
    }
}
