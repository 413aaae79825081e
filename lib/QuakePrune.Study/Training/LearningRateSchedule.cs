namespace QuakePrune.Training;

/// <summary>
/// Per-step learning rate: linear warm-up to the peak over <see cref="WarmupSteps"/> (step k uses peak (k+1)/warm-up),
/// the peak held, then a cosine from the peak down to <see cref="Min"/> at the last step over the final
/// <see cref="DecaySteps"/> steps (null: every step after the warm-up, no hold). A closed form, so a resumed run needs
/// only its step number.
/// </summary>
public sealed record LearningRateSchedule(
    double Peak,
    double Min,
    int WarmupSteps,
    int TotalSteps,
    int? DecaySteps = null
)
{
    public double At(int step)
    {
        if (step < WarmupSteps)
            return Peak * (step + 1) / WarmupSteps;
        var decaySteps = Math.Min(DecaySteps ?? int.MaxValue, TotalSteps - WarmupSteps);
        var decayFrom = TotalSteps - decaySteps;
        if (step < decayFrom || decaySteps <= 1)
            return Peak;
        var progress = Math.Min(1.0, (double)(step - decayFrom) / (decaySteps - 1));
        return Min + (Peak - Min) * (1 + Math.Cos(Math.PI * progress)) / 2;
    }
}
