using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>_ClassificationHead</c> (<c>final_layer</c>, EEG-DINO's fine-tuning head):
/// per-token projection <c>token_proj</c> (Linear + GELU), mean over channels, <c>time_proj</c>
/// (Linear + GELU), mean over patches, then the MLP <c>classifier</c>
/// (D -> D/2 -> D/4 -> classes, GELU and dropout 0.5 / 0.3 between). The original fine-tuning code
/// names the two projections <c>full_linear</c> and <c>channel_linear</c>.
/// </summary>
internal sealed class ClassificationHead : nn.Module<Tensor, long, Tensor>
{
#pragma warning disable IDE1006 // names are the PyTorch state_dict keys, declared in call order
    private readonly Sequential token_proj;
    private readonly Sequential time_proj;
    private readonly Sequential classifier;
#pragma warning restore IDE1006

    public ClassificationHead(int dim, int classes) : base(nameof(ClassificationHead))
    {
        NumberOfClasses = classes;
        token_proj = nn.Sequential(("0", nn.Linear(dim, dim)), ("1", nn.GELU()));
        time_proj = nn.Sequential(("0", nn.Linear(dim, dim)), ("1", nn.GELU()));
        classifier = nn.Sequential(
            ("0", nn.Linear(dim, dim / 2)), ("1", nn.GELU()), ("2", nn.Dropout(0.5)),
            ("3", nn.Linear(dim / 2, dim / 4)), ("4", nn.GELU()), ("5", nn.Dropout(0.3)),
            ("6", nn.Linear(dim / 4, classes)));
        RegisterComponents();
    }

    public int NumberOfClasses { get; }

    public override Tensor forward(Tensor patchTokens, long channels)
    {
        // [B, C*P, D] -> [B, classes]
        using var scope = NewDisposeScope();
        Tensor x = token_proj.forward(patchTokens);
        x = x.reshape(x.shape[0], channels, -1, x.shape[2]).mean([1]); // [B, P, D]
        x = time_proj.forward(x).mean([1]);                             // [B, D]
        return classifier.forward(x).MoveToOuterDisposeScope();
    }
}
