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

    private ComputePrecision _precision = ComputePrecision.Float32;

    public Mlp(int dim, int hidden, double dropout) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(dim, hidden);
        act = nn.GELU();
        fc2 = nn.Linear(hidden, dim);
        drop = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>Runs <c>fc1</c>, GELU and <c>fc2</c> in <paramref name="precision"/>, converting the weights now.</summary>
    public void UsePrecision(ComputePrecision precision)
    {
        _precision = precision;
        precision.Prepare(fc1);
        precision.Prepare(fc2);
    }

    public override Tensor forward(Tensor x)
    {
        // [B, N, D] -> [B, N, D], in the compute type
        using var scope = NewDisposeScope();
        Tensor hidden = act.forward(_precision.Linear(fc1, x));
        return drop.forward(_precision.Linear(fc2, hidden)).MoveToOuterDisposeScope();
    }
}
