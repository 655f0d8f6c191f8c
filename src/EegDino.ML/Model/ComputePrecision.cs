using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// The number type a network's matrix products run in, and the reduced-precision copies of the weights
/// they use. float32 (the default) changes nothing: every call below returns its argument. bfloat16 and
/// float16 run the weight matmuls and attention in that type while the residual stream, the
/// normalisation statistics, the spectrum and the outputs stay float32 (docs/encoder.md, "Reduced
/// precision", gives the table and the measurements behind it).
/// </summary>
/// <remarks>
/// The float32 parameters stay the masters: the state_dict, saved weights and the optimiser see only
/// them, so nothing is lost by computing in a reduced type. A weight that training does not update is
/// converted once, here, when the precision is set; a weight that training updates is cast at every
/// forward pass instead (a differentiable cast, so its gradient arrives in float32 on the master, as
/// with <c>torch.autocast</c>). A copy is looked up by the parameter object, so a parameter replaced
/// after <see cref="Prepare(Tensor?)"/> (e.g. by moving the module to another device) falls back to the cast:
/// slower, never stale.
/// </remarks>
internal sealed class ComputePrecision : IDisposable
{
    private readonly Dictionary<Tensor, Tensor> _copies = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Tensor> _updated = new(ReferenceEqualityComparer.Instance);

    /// <summary>float32 throughout: no copies, every method returns its argument.</summary>
    public static ComputePrecision Float32 { get; } = new(EegDinoPrecision.Float32, null);

    /// <param name="precision">The number type of the matrix work.</param>
    /// <param name="updatedWeights">Parameters that training will update (cast at each forward), or null when none are.</param>
    public ComputePrecision(EegDinoPrecision precision, IEnumerable<Tensor>? updatedWeights)
    {
        Precision = precision;
        ReducedType = ToScalarType(precision);
        if (updatedWeights is not null) _updated.UnionWith(updatedWeights);
    }

    public EegDinoPrecision Precision { get; }

    /// <summary>The reduced type, or null for float32.</summary>
    public ScalarType? ReducedType { get; }

    public bool IsReduced => ReducedType is not null;

    /// <summary>Number of weights converted once (for tests and memory reports).</summary>
    public int ConvertedWeights => _copies.Count;

    /// <summary>The libtorch type of <paramref name="precision"/>, null for float32.</summary>
    public static ScalarType? ToScalarType(EegDinoPrecision precision) => precision switch
    {
        EegDinoPrecision.Float32 => null,
        EegDinoPrecision.BFloat16 => ScalarType.BFloat16,
        EegDinoPrecision.Float16 => ScalarType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, $"Precision is {precision}; expected {string.Join(", ", Enum.GetNames<EegDinoPrecision>())}."),
    };

    /// <summary>Converts <paramref name="weight"/> now, unless training updates it or the precision is float32.</summary>
    public void Prepare(Tensor? weight)
    {
        if (ReducedType is not ScalarType type || weight is null || _updated.Contains(weight) || _copies.ContainsKey(weight)) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope(); // roots the detached view until the conversion returns
        _copies[weight] = weight.detach().to(type).DetachFromDisposeScope();
    }

    /// <summary>The weight in the compute type: the converted copy, or (for a weight training updates) a differentiable cast.</summary>
    public Tensor Weight(Tensor weight)
    {
        if (ReducedType is not ScalarType type) return weight;
        return _copies.TryGetValue(weight, out Tensor? copy) ? copy : weight.to(type);
    }

    /// <summary>An activation in the compute type (a no-op when it already is).</summary>
    public Tensor Activation(Tensor x) => ReducedType is ScalarType type && x.dtype != type ? x.to(type) : x;

    /// <summary><c>x W^T + b</c> in the compute type; the result is in the compute type.</summary>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias) =>
        nn.functional.linear(Activation(x), Weight(weight), bias is null ? null : Weight(bias));

    /// <summary>A <see cref="TorchSharp.Modules.Linear"/> module's forward in the compute type.</summary>
    public Tensor Linear(Linear module, Tensor x) =>
        IsReduced ? Linear(x, module.weight!, module.bias) : module.forward(x);

    /// <summary>Converts the weight and bias of a <see cref="TorchSharp.Modules.Linear"/> module now.</summary>
    public void Prepare(Linear module)
    {
        Prepare(module.weight);
        Prepare(module.bias);
    }

    public void Dispose()
    {
        foreach (var copy in _copies.Values) copy.Dispose();
        _copies.Clear();
    }
}
