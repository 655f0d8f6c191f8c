using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors braindecode's <c>_Attention</c> (BEiT-style): a fused <c>qkv</c> projection without bias
/// plus separate <c>q_bias</c> and <c>v_bias</c> (the key has none), softmax attention scaled by
/// 1/sqrt(head_dim), and an output projection <c>proj</c>. Computed with
/// <c>scaled_dot_product_attention</c>, which avoids materialising the attention matrices at large batch,
/// except where libtorch has no fused kernel for it (see <see cref="UsesFusedKernel"/>).
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
        Tensor query = projected[0], key = projected[1], value = projected[2];
        double dropout = training ? _dropout : 0.0;
        Tensor attended = UsesFusedKernel(query.device_type, query.dtype, query.shape[3])
            ? nn.functional.scaled_dot_product_attention(query, key, value, keyMask, p: dropout) // [B, H, N, head_dim]
            : Explicit(query, key, value, keyMask, dropout);
        Tensor merged = attended.transpose(1, 2).reshape(batch, tokens, -1);
        return proj_drop.forward(_precision.Linear(proj, merged)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether <c>scaled_dot_product_attention</c> computes: on the CPU always (its flash kernel takes any
    /// head size); on CUDA unless the type is float32 and the head size is not a multiple of 4 (Small's
    /// 25), where libtorch has no fused kernel (flash takes 16-bit types only, memory-efficient needs
    /// 4-aligned float32 heads) and falls back to a composite that scales q and k apart and runs a NaN-safe
    /// softmax: three operations do less there. <see cref="KernelSwitches.Attention"/> forces either.
    /// </summary>
    internal static bool UsesFusedKernel(DeviceType device, ScalarType type, long headSize) => KernelSwitches.Attention switch
    {
        "fused" => true,
        "explicit" => false,
        _ => device == DeviceType.CPU || type != ScalarType.Float32 || headSize % 4 == 0,
    };

    /// <summary>softmax(q k^T / sqrt(d)) v, as braindecode writes it; <paramref name="keyMask"/> false keys get no weight.</summary>
    private static Tensor Explicit(Tensor query, Tensor key, Tensor value, Tensor? keyMask, double dropout)
    {
        Tensor scores = TorchScalars.Multiply(query, 1.0 / Math.Sqrt(query.shape[3])).matmul(key.transpose(-2, -1)); // [B, H, N, N]
        if (keyMask is not null) scores = TorchScalars.MaskedFill(scores, keyMask.logical_not(), double.NegativeInfinity);
        Tensor weights = scores.softmax(-1);
        if (dropout > 0) weights = nn.functional.dropout(weights, dropout, training: true);
        return weights.matmul(value);
    }
}
