using EegDino.ML.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Training;

/// <summary>
/// Dynamic loss scaling for float16 training (PyTorch's <c>torch.amp.GradScaler</c> with its defaults):
/// the loss is multiplied by the scale before the backward pass so that small float16 gradients do not
/// flush to zero, the float32 gradients are divided by it again before the optimiser step, a step whose
/// gradients hold inf or NaN is skipped and halves the scale, and the scale doubles after
/// <see cref="DefaultGrowthInterval"/> good steps in a row.
/// </summary>
/// <remarks>
/// bfloat16 has float32's range and needs no scaling; float32 neither. A scale that keeps falling means
/// the gradients overflow whatever the scale: below <see cref="MinimumScale"/> training stops with an
/// error naming the cause instead of skipping every step.
/// </remarks>
internal sealed class DynamicLossScale
{
    /// <summary>PyTorch's initial scale, 2^16.</summary>
    public const double InitialScale = 65536;

    /// <summary>Good steps in a row after which the scale doubles (PyTorch: 2000).</summary>
    public const int DefaultGrowthInterval = 2000;

    /// <summary>Below this the gradients are not overflowing because of the scale (2^-24, float16's smallest subnormal).</summary>
    public const double MinimumScale = 1.0 / (1 << 24);

    private readonly int _growthInterval;
    private int _goodSteps;

    /// <param name="growthInterval">Good steps in a row after which the scale doubles.</param>
    public DynamicLossScale(int growthInterval = DefaultGrowthInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(growthInterval, 1);
        _growthInterval = growthInterval;
    }

    public double Scale { get; private set; } = InitialScale;

    /// <summary>Steps skipped so far because their gradients were not finite.</summary>
    public int SkippedSteps { get; private set; }

    /// <summary>The loss times the scale, for the backward pass.</summary>
    public Tensor ScaleLoss(Tensor loss) => TorchScalars.Multiply(loss, Scale);

    /// <summary>
    /// Divides every gradient by the scale and says whether all of them are finite; when they are not,
    /// the step must be skipped (the scale is halved here).
    /// </summary>
    /// <exception cref="EegDinoException">The scale fell below <see cref="MinimumScale"/>.</exception>
    public bool UnscaleAndCheck(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var finite = new List<Tensor>(parameters.Count);
        foreach (var parameter in parameters)
        {
            Tensor? grad = parameter.grad;
            if (grad is null) continue;
            TorchScalars.MultiplyInPlace(grad, 1 / Scale);
            finite.Add(grad.isfinite().all());
        }
        if (finite.Count == 0 || stack(finite).all().item<bool>())
        {
            if (++_goodSteps >= _growthInterval)
            {
                Scale *= 2;
                _goodSteps = 0;
            }
            return true;
        }
        SkippedSteps++;
        _goodSteps = 0;
        Scale /= 2;
        if (Scale < MinimumScale)
        {
            throw new EegDinoException(
                $"Float16 training: the gradients hold inf or NaN even with the loss scaled by {Scale * 2:G3} ({SkippedSteps} steps skipped), so they overflow float16 whatever the scale. " +
                "Use Precision = BFloat16 (float32's range) or Float32, or lower the learning rate.");
        }
        return false;
    }
}
