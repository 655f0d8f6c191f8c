using EegDino.ML.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter; <c>torch.optim.AdamW</c> with <c>amsgrad=False</c>,
/// <c>maximize=False</c>): decoupled weight decay, then the Adam update with bias correction.
/// Each parameter group has its own learning rate and weight decay.
/// </summary>
/// <remarks>
/// Why not TorchSharp's <c>optim.AdamW</c>: its <c>step</c> passes implicitly converted scalars to
/// libtorch, which a garbage collection on another thread can free mid-call (see
/// <see cref="TorchScalars"/>). This is the same arithmetic in the same order through
/// <see cref="TorchScalars"/>; <c>AdamWOptimizerTests</c> checks it against TorchSharp's optimizer.
/// </remarks>
internal sealed class AdamWOptimizer : IDisposable
{
    private readonly List<Group> _groups = [];
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;

    /// <summary>One set of parameters sharing a learning rate (changed by the schedule) and a weight decay.</summary>
    public sealed class Group(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay)
    {
        /// <summary>The parameters updated with this group's settings.</summary>
        public IReadOnlyList<Parameter> Parameters { get; } = parameters;

        /// <summary>The learning rate of the next step.</summary>
        public double LearningRate { get; set; } = learningRate;

        /// <summary>The decoupled weight decay (0 for none).</summary>
        public double WeightDecay { get; } = weightDecay;

        /// <summary>Each parameter's state, created at the first step.</summary>
        internal Moments[]? State { get; set; }
    }

    /// <summary>A parameter's update count and running means of its gradient and squared gradient.</summary>
    internal sealed class Moments(Parameter parameter) : IDisposable
    {
        /// <summary>Updates done (PyTorch counts per parameter).</summary>
        public long Step { get; set; }

        /// <summary>Running mean of the gradient.</summary>
        public Tensor Mean { get; } = zeros_like(parameter).DetachFromDisposeScope();

        /// <summary>Running mean of the squared gradient.</summary>
        public Tensor Square { get; } = zeros_like(parameter).DetachFromDisposeScope();

        /// <inheritdoc/>
        public void Dispose()
        {
            Mean.Dispose();
            Square.Dispose();
        }
    }

    /// <param name="groups">The parameter groups.</param>
    /// <param name="beta1">Decay of the gradient's running mean.</param>
    /// <param name="beta2">Decay of the squared gradient's running mean.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public AdamWOptimizer(IEnumerable<Group> groups, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _groups.AddRange(groups);
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    /// <summary>The parameter groups, in the order given.</summary>
    public IReadOnlyList<Group> Groups => _groups;

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var group in _groups)
            foreach (var parameter in group.Parameters)
            {
                using Tensor? grad = parameter.grad;
                if (grad is not null) parameter.grad = null;
            }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var group in _groups)
        {
            group.State ??= group.Parameters.Select(p => new Moments(p)).ToArray();
            for (int i = 0; i < group.Parameters.Count; i++)
            {
                Parameter parameter = group.Parameters[i];
                Tensor? grad = parameter.grad;
                if (grad is null) continue;
                Moments state = group.State[i];
                state.Step++;
                double correction1 = 1 - Math.Pow(_beta1, state.Step);
                double correction2 = 1 - Math.Pow(_beta2, state.Step);
                TorchScalars.MultiplyInPlace(parameter, 1 - group.LearningRate * group.WeightDecay);
                TorchScalars.AddInPlace(TorchScalars.MultiplyInPlace(state.Mean, _beta1), grad, 1 - _beta1);
                TorchScalars.AddProductInPlace(TorchScalars.MultiplyInPlace(state.Square, _beta2), grad, grad, 1 - _beta2);
                Tensor denominator = TorchScalars.AddInPlace(TorchScalars.Divide(state.Square.sqrt(), Math.Sqrt(correction2)), _epsilon);
                TorchScalars.AddQuotientInPlace(parameter, state.Mean, denominator, -group.LearningRate / correction1);
            }
        }
    }

    /// <summary>Frees the moment tensors.</summary>
    public void Dispose()
    {
        foreach (var group in _groups)
        {
            if (group.State is null) continue;
            foreach (var state in group.State) state.Dispose();
            group.State = null;
        }
    }
}
