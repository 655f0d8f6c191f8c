using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>Mirrors braindecode's <c>_MLP</c>: <c>fc1</c>, GELU, <c>fc2</c>, dropout.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the PyTorch state_dict keys, declared in call order
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;
    private readonly Dropout drop;
#pragma warning restore IDE1006

    public Mlp(int dim, int hidden, double dropout) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, dim);
        drop = nn.Dropout(dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // [B, N, D] -> [B, N, D]
        using var scope = NewDisposeScope();
        return drop.forward(fc2.forward(act.forward(fc1.forward(x)))).MoveToOuterDisposeScope();
    }
}
