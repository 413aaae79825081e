using System.Globalization;
using System.Text;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>A part of the network pruned alone: a name and its groups.</summary>
public sealed record PruningUnit(string Name, IReadOnlySet<string> Groups);

/// <summary>
/// One row of the sensitivity table: <see cref="Unit"/> pruned alone at <see cref="Ratio"/> (the reference row: unit
/// "none", ratio 0).
/// </summary>
public sealed record SensitivityRow(string Unit, double Ratio, long Params, double Accuracy, double F1);

public sealed record SensitivityOptions
{
    public IReadOnlyList<double> Ratios { get; init; } = [0.3, 0.5, 0.7, 0.9];
    public string Split { get; init; } = Trainer.DevSplit;

    /// <summary>Also the stem and each stage's residual stream (the groups scope full adds).</summary>
    public bool FullScope { get; init; }

    public int BatchSize { get; init; } = 64;

    /// <summary>The criterion that chooses which channels a unit loses.</summary>
    public IImportance Importance { get; init; } = Importances.L2;

    public void Validate()
    {
        if (Ratios.Count == 0)
            throw new ArgumentException("sensitivity: no ratios given");
        foreach (var r in Ratios)
            new PruningOptions(r).Validate();
        if (BatchSize < 1)
            throw new ArgumentException($"sensitivity: batch size must be at least 1, got {BatchSize}");
    }
}

/// <summary>
/// How much each part of a trained network can lose without retraining: each unit (the inner convolutions of one stage,
/// the head's hidden neurons, and in full scope the stem and each residual stream) is pruned alone at each ratio and
/// the split scored at the model's own decision. The notebook plots it to choose which layers to spare.
/// </summary>
public static class Sensitivity
{
    public const string ReferenceUnit = "none";
    public const string Header = "unit,ratio,params,accuracy,f1";

    /// <summary>
    /// The units of an architecture, in network order: the groups inside each top-level module (torchvision's layerN)
    /// as one unit named after it, the hidden neurons as "head", and in full scope the stem and each residual stream
    /// alone.
    /// </summary>
    public static IReadOnlyList<PruningUnit> Units(Architecture architecture, bool fullScope)
    {
        var units = new List<(string Name, HashSet<string> Groups)>();
        foreach (var group in DependencyGroups.Of(architecture))
        {
            var unit = group.Kind switch
            {
                GroupKind.Internal => group.Name.Split('.')[0],
                GroupKind.Hidden => "head",
                _ => fullScope ? group.Name : null,
            };
            if (unit is null)
                continue;
            var existing = units.FindIndex(u => u.Name == unit);
            if (existing < 0)
                units.Add((unit, [group.Name]));
            else
                units[existing].Groups.Add(group.Name);
        }
        return units.Select(u => new PruningUnit(u.Name, u.Groups)).ToArray();
    }

    public static IReadOnlyList<SensitivityRow> Run(
        Network model,
        IImageDataSet data,
        SensitivityOptions options,
        Action<SensitivityRow>? onRow = null
    )
    {
        options.Validate();
        var cost = (Architecture a) => ModelCost.Of(a, data.Height, data.Width).Params;
        var rows = new List<SensitivityRow>();
        void Add(SensitivityRow row)
        {
            rows.Add(row);
            onRow?.Invoke(row);
        }
        var reference = Score(model, data, options);
        Add(new SensitivityRow(ReferenceUnit, 0, cost(model.Architecture), reference.Accuracy, reference.F1));
        // The weights never change here, so the channel scores are computed once for every unit and ratio.
        var groups = DependencyGroups.Of(model.Architecture);
        var channelScores = Pruner.Scores(model, groups, options.Importance);
        foreach (var unit in Units(model.Architecture, options.FullScope))
        foreach (var ratio in options.Ratios)
        {
            var plan = PruningPlan.Create(
                groups,
                channelScores,
                new PruningOptions(ratio, PruningScope.Full, Groups: unit.Groups) { Importance = options.Importance }
            );
            using (var pruned = Surgery.Apply(model, plan))
            {
                var scores = Score(pruned, data, options);
                Add(new SensitivityRow(unit.Name, ratio, cost(pruned.Architecture), scores.Accuracy, scores.F1));
            }
        }
        return rows;
    }

    public static void Write(string path, IEnumerable<SensitivityRow> rows)
    {
        AtomicFile.WriteAllText(
            path,
            CsvText.Write(
                Header.Split(','),
                rows.Select(r =>
                    new[]
                    {
                        r.Unit,
                        r.Ratio.ToString("R", CultureInfo.InvariantCulture),
                        r.Params.ToString(CultureInfo.InvariantCulture),
                        r.Accuracy.ToString("R", CultureInfo.InvariantCulture),
                        r.F1.ToString("R", CultureInfo.InvariantCulture),
                    }
                )
            )
        );
    }

    private static SplitMetrics Score(Network model, IImageDataSet data, SensitivityOptions options) =>
        ModelMetrics.Score(model, data, options.Split, options.BatchSize)
        ?? throw new InvalidDataException($"{data.Source}: no images in split '{options.Split}'");
}
