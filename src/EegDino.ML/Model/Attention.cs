using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>_Attention</c> (BEiT-style): a fused <c>qkv</c> projection without bias
/// plus separate <c>q_bias</c> and <c>v_bias</c> (the key has none), softmax attention scaled by
/// 1/sqrt(head_dim), and an output projection <c>proj</c>. Computed with
/// <c>scaled_dot_product_attention</c>, which avoids materialising the attention matrices at large batch.
/// </summary>
internal sealed class Attention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly int _heads;
    private readonly double _dropout;

#pragma warning disable IDE1006 // names are the PyTorch state_dict keys, declared in call order
    private readonly Linear qkv;
    private readonly Parameter q_bias;
    private readonly Parameter v_bias;
    private readonly Linear proj;
    private readonly Dropout proj_drop;
#pragma warning restore IDE1006

    private ComputePrecision _precision = ComputePrecision.Float32;

    public Attention(int dim, int heads, double dropout) : base(nameof(Attention))
    {
        _heads = heads;
        _dropout = dropout;
        qkv = nn.Linear(dim, dim * 3, hasBias: false);
        q_bias = new Parameter(zeros(dim));
        v_bias = new Parameter(zeros(dim));
        proj = nn.Linear(dim, dim);
        proj_drop = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>Runs the projections and attention in <paramref name="precision"/>, converting the weights now.</summary>
    public void UsePrecision(ComputePrecision precision)
    {
        _precision = precision;
        precision.Prepare(qkv.weight);
        precision.Prepare(q_bias);
        precision.Prepare(v_bias);
        precision.Prepare(proj);
    }

    /// <param name="x">Tokens <c>[B, N, D]</c>.</param>
    /// <param name="keyMask">Null, or <c>[1, 1, 1, N]</c> booleans: false for padding keys nobody attends to.</param>
    public override Tensor forward(Tensor x, Tensor? keyMask)
    {
        // [B, N, D] -> [B, N, D]
        using var scope = NewDisposeScope();
        long batch = x.shape[0], tokens = x.shape[1];
        Tensor q = _precision.Weight(q_bias), v = _precision.Weight(v_bias);
        Tensor bias = cat([q, zeros_like(v), v]);
        Tensor projected = _precision.Linear(x, qkv.weight!, bias)
            .view(batch, tokens, 3, _heads, -1)
            .permute(2, 0, 3, 1, 4); // [3, B, H, N, head_dim]
        Tensor attended = nn.functional.scaled_dot_product_attention(
            projected[0], projected[1], projected[2], keyMask, p: training ? _dropout : 0.0); // [B, H, N, head_dim]
        Tensor merged = attended.transpose(1, 2).reshape(batch, tokens, -1);
        return proj_drop.forward(_precision.Linear(proj, merged)).MoveToOuterDisposeScope();
    }
}
