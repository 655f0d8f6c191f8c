using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Weights;

/// <summary>Key normalisation: source selection, wrapper prefixes, head renames, skips.</summary>
[TestClass]
public sealed class CheckpointKeyMapperTests
{
    private static WeightTensor T(float v) => new([1], [v]);

    private static Dictionary<string, WeightTensor> Dino() => new(StringComparer.Ordinal)
    {
        ["module.student.global_tokens"] = T(1),
        ["module.student.encoder_layers.0.attn.qkv.weight"] = T(2),
        ["module.student.encoder_layers.0.attn.relative_position_index"] = T(3),
        ["module.teacher.global_tokens"] = T(4),
        ["module.teacher.encoder_layers.0.attn.qkv.weight"] = T(5),
        ["module.student_head.mlp.0.weight"] = T(6),
        ["module.teacher_head.last_layer.weight_g"] = T(7),
    };

    [TestMethod]
    public void StudentIsTheDefaultAndTeacherAndHeadsAreSkippedWithReasons()
    {
        var m = CheckpointKeyMapper.MapDetailed(Dino(), EegDinoWeightSource.Student);
        CollectionAssert.AreEquivalent(new[] { "global_tokens", "encoder_layers.0.attn.qkv.weight" }, m.Tensors.Keys.ToArray());
        Assert.AreEqual(1f, m.Tensors["global_tokens"].Data[0]);
        Assert.IsTrue(m.HasStudent && m.HasTeacher && !m.HasHead);
        var reasons = m.Skipped.ToDictionary(s => s.Key, s => s.Reason);
        Assert.AreEqual("teacher encoder (source is student)", reasons["module.teacher.global_tokens"]);
        Assert.AreEqual("DINO projector head", reasons["module.student_head.mlp.0.weight"]);
        Assert.AreEqual("DINO projector head", reasons["module.teacher_head.last_layer.weight_g"]);
        StringAssert.StartsWith(reasons["module.student.encoder_layers.0.attn.relative_position_index"], "relative_position_index buffer");
        StringAssert.Contains(CheckpointKeyMapper.Summarise(m.Skipped), "2 DINO projector head");
    }

    [TestMethod]
    public void TeacherSourceTakesTheTeacher()
    {
        var m = CheckpointKeyMapper.MapDetailed(Dino(), EegDinoWeightSource.Teacher);
        Assert.AreEqual(4f, m.Tensors["global_tokens"].Data[0]);
        Assert.AreEqual(5f, m.Tensors["encoder_layers.0.attn.qkv.weight"].Data[0]);
        Assert.IsTrue(m.Skipped.Any(s => s.Key == "module.student.global_tokens" && s.Reason == "student encoder (source is teacher)"));
    }

    [TestMethod]
    public void AMissingRequestedEncoderIsAClearError()
    {
        var onlyStudent = new Dictionary<string, WeightTensor>(StringComparer.Ordinal) { ["student.global_tokens"] = T(1) };
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => CheckpointKeyMapper.MapDetailed(onlyStudent, EegDinoWeightSource.Teacher));
        StringAssert.Contains(e.Message, "only the student encoder");
    }

    [TestMethod]
    public void FineTuningNamesMapToBraindecodeHeadNames()
    {
        var ft = new Dictionary<string, WeightTensor>(StringComparer.Ordinal)
        {
            ["module.encoder.global_tokens"] = T(1),
            ["module.full_linear.weight"] = T(2),
            ["module.channel_linear.bias"] = T(3),
            ["module.classifier.0.weight"] = T(4),
            ["module.classifier.3.bias"] = T(5),
            ["module.classifier.6.weight"] = T(6),
        };
        var m = CheckpointKeyMapper.MapDetailed(ft, EegDinoWeightSource.Student);
        CollectionAssert.AreEquivalent(
            new[] { "global_tokens", "final_layer.token_proj.0.weight", "final_layer.time_proj.0.bias", "final_layer.classifier.0.weight", "final_layer.classifier.3.bias", "final_layer.classifier.6.weight" },
            m.Tensors.Keys.ToArray());
        Assert.AreEqual(5, m.RenamedHead.Count);
        Assert.IsTrue(m.HasHead && !m.HasStudent && !m.HasTeacher);
    }

    [TestMethod]
    public void ReleasedNamesPassUnchanged()
    {
        var released = new Dictionary<string, WeightTensor>(StringComparer.Ordinal)
        {
            ["global_tokens"] = T(1),
            ["patch_embedding.proj_in.0.weight"] = T(2),
            ["final_layer.token_proj.0.weight"] = T(3),
        };
        var m = CheckpointKeyMapper.MapDetailed(released, EegDinoWeightSource.Teacher);
        CollectionAssert.AreEqual(released.Keys.ToArray(), m.Tensors.Keys.ToArray());
        Assert.IsEmpty(m.Skipped);
    }

    [TestMethod]
    public void TwoEntriesForOneNetworkKeyAreRefused()
    {
        var clash = new Dictionary<string, WeightTensor>(StringComparer.Ordinal) { ["encoder.global_tokens"] = T(1), ["global_tokens"] = T(2) };
        var e = Assert.ThrowsExactly<EegDinoModelFormatException>(() => CheckpointKeyMapper.MapDetailed(clash, EegDinoWeightSource.Student));
        StringAssert.Contains(e.Message, "'global_tokens'");
    }
}
