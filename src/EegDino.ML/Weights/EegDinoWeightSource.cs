namespace EegDino.ML;

/// <summary>
/// Which encoder to take from a DINO training checkpoint that holds both (the released
/// <c>model_EEG_DINO_{S,M,L}.pt</c>). Files with a single encoder ignore it.
/// </summary>
public enum EegDinoWeightSource
{
    /// <summary>The student encoder (<c>module.student.*</c>): what the original fine-tuning code and the Rust port load. The default.</summary>
    Student,

    /// <summary>The teacher encoder (<c>module.teacher.*</c>): what braindecode re-hosts.</summary>
    Teacher,
}
