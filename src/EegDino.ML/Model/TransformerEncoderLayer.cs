using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>_TransformerEncoderLayer</c>: pre-norm block
/// <c>x + attn(norm1(x))</c>, then <c>x + mlp(norm2(x))</c>, LayerNorm eps 1e-5, no LayerScale.
/// Stochastic depth (drop path) applies per sample while training only.
/// </summary>
internal sealed class TransformerEncoderLayer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly double _dropPath;

#pragma warning disable IDE1006 // names are the PyTorch state_dict keys, declared in call order
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
#pragma warning restore IDE1006

    public TransformerEncoderLayer(int dim, int heads, int feedForward, double dropout) : base(nameof(TransformerEncoderLayer))
    {
        _dropPath = dropout;
        norm1 = nn.LayerNorm(dim, eps: 1e-5);
        attn = new Attention(dim, heads, dropout);
        norm2 = nn.LayerNorm(dim, eps: 1e-5);
        mlp = new Mlp(dim, feedForward, dropout);
        RegisterComponents();
    }

    /// <summary>Runs attention and the MLP in <paramref name="precision"/>; the norms and the residual stream stay float32.</summary>
    public void UsePrecision(ComputePrecision precision)
    {
        attn.UsePrecision(precision);
        mlp.UsePrecision(precision);
    }

    /// <param name="x">Tokens <c>[B, N, D]</c>.</param>
    /// <param name="keyMask">Null, or <c>[1, 1, 1, N]</c> booleans marking the real (non-padding) tokens.</param>
    public override Tensor forward(Tensor x, Tensor? keyMask)
    {
        // [B, N, D] -> [B, N, D]
        using var scope = NewDisposeScope();
        x = TorchScalars.Add(x, DropPath(attn.forward(norm1.forward(x), keyMask)));
        x = TorchScalars.Add(x, DropPath(mlp.forward(norm2.forward(x))));
        return x.MoveToOuterDisposeScope();
    }

    private Tensor DropPath(Tensor branch)
    {
        if (!training || _dropPath <= 0) return branch;
        double keep = 1 - _dropPath;
        Tensor mask = empty(branch.shape[0], 1, 1, dtype: branch.dtype, device: branch.device).bernoulli_(keep);
        return TorchScalars.Divide(branch * mask, keep);
    }
}
