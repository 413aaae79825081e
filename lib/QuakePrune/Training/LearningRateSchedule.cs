namespace QuakePrune.Training;

/// <summary>
/// Per-step learning rate: linear warm-up to the peak over <see cref="WarmupSteps"/> (step k uses peak (k+1)/warm-up),
/// then a cosine from the peak down to <see cref="Min"/> at the last step. A closed form, so a resumed run needs only
/// its step number.
/// </summary>
public sealed record LearningRateSchedule(double Peak, double Min, int WarmupSteps, int TotalSteps)
{
    public double At(int step)
    {
        if (step < WarmupSteps) return Peak * (step + 1) / WarmupSteps;
        var decaySteps = TotalSteps - WarmupSteps;
        if (decaySteps <= 1) return Peak;
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / (decaySteps - 1));
        return Min + (Peak - Min) * (1 + Math.Cos(Math.PI * progress)) / 2;
    }
}
