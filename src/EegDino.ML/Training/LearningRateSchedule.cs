namespace EegDino.ML.Training;

/// <summary>
/// Per-step learning-rate factor: linear warm-up from 1/warmupSteps to 1 over the first
/// <c>warmupSteps</c> optimiser steps, then half a cosine from 1 down to
/// <c>minimumFactor</c> at the last step.
/// </summary>
internal sealed class LearningRateSchedule(int totalSteps, int warmupSteps, double minimumFactor)
{
    public int TotalSteps { get; } = Math.Max(1, totalSteps);

    public int WarmupSteps { get; } = Math.Clamp(warmupSteps, 0, Math.Max(1, totalSteps));

    /// <summary>The factor for 0-based <paramref name="step"/>.</summary>
    public double Factor(int step)
    {
        if (step < WarmupSteps) return (step + 1) / (double)WarmupSteps;
        int decaySteps = TotalSteps - WarmupSteps;
        if (decaySteps <= 1) return 1;
        double progress = Math.Clamp((step - WarmupSteps) / (double)(decaySteps - 1), 0, 1);
        return minimumFactor + (1 - minimumFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
