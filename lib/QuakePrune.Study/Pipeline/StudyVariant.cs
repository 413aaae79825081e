using QuakePrune.Pruning;

namespace QuakePrune.Pipeline;

/// <summary>
/// One pruned model of the study: the fraction removed, the scope, and the criterion that chose the channels. Its name:
/// prune50, prune50-internal (the internal scope), prune50-random (another criterion than L2, always in full scope).
/// </summary>
public sealed record StudyVariant(double Ratio, PruningScope Scope, string Importance)
{
    public const string Paper = "l2";

    public string Name =>
        $"prune{Math.Round(Ratio * 100):0}"
        + (Scope == PruningScope.Full ? "" : "-" + Scope.ToString().ToLowerInvariant())
        + (Importance == Paper ? "" : "-" + Importance);

    /// <summary>How to prune it; <paramref name="seed"/> seeds the random criterion.</summary>
    public PruningOptions Pruning(long seed) => new(Ratio, Scope) { Importance = Importances.Named(Importance, seed) };

    /// <summary>The variant a pruning's options describe.</summary>
    public static StudyVariant Of(PruningOptions options) => new(options.Ratio, options.Scope, options.Importance.Name);

    public override string ToString() => Name;
}
