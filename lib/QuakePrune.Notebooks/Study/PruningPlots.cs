using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pruning;
using QuakePrune.Retraining;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// Pictures for the fourth notebook: how the L2 norms are spread, which channels move together, and what each ratio
/// removes.
/// </summary>
public static class PruningPlots
{
    private static readonly Dictionary<string, string> StageColours = new()
    {
        ["stem"] = "#7f7f7f",
        ["layer1"] = "#1f77b4",
        ["layer2"] = "#2ca02c",
        ["layer3"] = "#ff7f0e",
        ["layer4"] = "#d62728",
        ["fc"] = "#9467bd",
    };

    /// <summary>The stage a group belongs to: stem, layer1..layer4 or fc (the head).</summary>
    public static string StageOf(ChannelGroup group) =>
        group.Kind == GroupKind.Stem ? "stem" : group.Name.Split('.')[0];

    /// <summary>
    /// Every prunable group's channel norms, sorted and divided by the group's largest, against the channel's rank as a
    /// fraction of the group; a dashed line where each ratio cuts. A flat curve means the norms barely separate the
    /// channels.
    /// </summary>
    public static Figure NormDistributions(string modelPath, IReadOnlyList<double> ratios)
    {
        using var loaded = Checkpoint.Load(modelPath);
        var groups = DependencyGroups.Of(loaded.Info.Architecture);
        var scores = Pruner.Scores(loaded.Model, groups, Importances.L2);
        var figure = new Figure();
        var legendShown = new HashSet<string>();
        foreach (var group in groups)
        {
            var sorted = scores[group.Name].OrderDescending().ToArray();
            var largest = Math.Max(sorted[0], 1e-30);
            var stage = StageOf(group);
            figure.Add(
                new Scatter
                {
                    Name = stage,
                    Mode = "lines",
                    ShowLegend = legendShown.Add(stage),
                    Opacity = 0.6,
                    Line = new Line { Width = 1, Color = StageColours.GetValueOrDefault(stage, "#17becf") },
                    X = Enumerable.Range(0, sorted.Length).Select(i => (i + 0.5) / sorted.Length).ToArray(),
                    Y = sorted.Select(v => v / largest).ToArray(),
                    HoverTemplate = group.Name + ": rank %{x:.2f}, norm %{y:.3f}<extra></extra>",
                }
            );
        }
        foreach (var ratio in ratios)
        {
            var kept = 1 - ratio;
            figure.Add(
                new Scatter
                {
                    Mode = "lines",
                    ShowLegend = false,
                    X = new[] { kept, kept },
                    Y = new[] { 0.0, 1.0 },
                    Line = new Line
                    {
                        Color = "#000",
                        Dash = "dash",
                        Width = 1,
                    },
                }
            );
            figure.Annotate($"{ratio:P0} pruned", kept, 1.04, "x", "y", showArrow: false);
        }
        return figure
            .WithTitle("L2 norm of each channel, by rank within its group (normalised to the group's largest)")
            .WithAxisTitles("rank within the group (fraction of its channels)", "L2 norm / largest in group")
            .WithSize(900, 450);
    }

    /// <summary>
    /// The dependency groups: one row per group with its kind, width and members (what must be cut together).
    /// </summary>
    public static Table GroupTable(Architecture architecture) =>
        DependencyGroups
            .Of(architecture)
            .ToTable(
                ("Group", g => g.Name),
                ("Kind", g => g.Kind.ToString().ToLowerInvariant()),
                ("Channels", g => g.Channels),
                ("Produced by", g => string.Join(" ", g.Producers.Select(m => m.Layer))),
                ("Layers reading it", g => g.Members.Count(m => m.Role == MemberRole.Consumer))
            );

    /// <summary>
    /// What each pruning left: parameters and MACs, as counts and as shares of the baseline's, and the checkpoint it
    /// wrote.
    /// </summary>
    public static Table PrunedTable(IReadOnlyList<PruneSummary> pruned) =>
        pruned.ToTable(
            ("Variant", s => VariantName(s)),
            ("Parameters", s => s.ParamsAfter),
            ("Parameters kept", s => FormattableString.Invariant($"{(double)s.ParamsAfter / s.ParamsBefore:P1}")),
            ("MACs (millions)", s => Math.Round(s.MacsAfter / 1e6, 1)),
            ("MACs kept", s => FormattableString.Invariant($"{(double)s.MacsAfter / s.MacsBefore:P1}")),
            ("File", s => Path.GetFileName(s.Output))
        );

    /// <summary>The width of every group in the baseline and after each pruning, group by group.</summary>
    public static Figure Widths(IReadOnlyList<PruneSummary> pruned)
    {
        var figure = new Figure();
        if (pruned.Count == 0)
            return figure;
        var names = pruned[0].Widths.Select(w => w.Group).ToArray();
        figure.Add(
            new Bar
            {
                Name = "baseline",
                X = names,
                Y = pruned[0].Widths.Select(w => w.Before).ToArray(),
                Marker = new Marker { Color = "#7f7f7f" },
            }
        );
        foreach (var summary in pruned)
            figure.Add(
                new Bar
                {
                    Name = VariantName(summary),
                    X = names,
                    Y = summary.Widths.Select(w => w.After).ToArray(),
                }
            );
        figure.Layout.BarMode = "group";
        figure.YAxis().Type = "log";
        return figure.WithTitle("channels per group (log scale)").WithAxisTitles(null, "channels").WithSize(1100, 450);
    }

    /// <summary>Parameters and multiply-accumulates of the baseline and each pruned model.</summary>
    public static Figure Costs(IReadOnlyList<PruneSummary> pruned)
    {
        var figure = Figure.Grid(1, 2, "parameters (millions)", "MACs at the input size (millions)");
        if (pruned.Count == 0)
            return figure;
        var names = pruned.Select(VariantName).Prepend("baseline").ToArray();
        var parameters = pruned.Select(s => s.ParamsAfter / 1e6).Prepend(pruned[0].ParamsBefore / 1e6).ToArray();
        var macs = pruned.Select(s => s.MacsAfter / 1e6).Prepend(pruned[0].MacsBefore / 1e6).ToArray();
        figure.Add(
            new Bar
            {
                Name = "params",
                X = names,
                Y = parameters,
                ShowLegend = false,
                Text = parameters.Select(v => $"{v:0.00}").ToArray(),
                TextPosition = "outside",
            },
            1,
            1
        );
        figure.Add(
            new Bar
            {
                Name = "MACs",
                X = names,
                Y = macs,
                ShowLegend = false,
                Text = macs.Select(v => $"{v:0}").ToArray(),
                TextPosition = "outside",
            },
            1,
            2
        );
        return figure.WithSize(1000, 420);
    }

    /// <summary>The study's name of a pruned model: prune50, prune90-internal...</summary>
    public static string VariantName(PruneSummary summary) => Pipeline.StudyVariant.Of(summary.Options).Name;

    /// <summary>
    /// Of the channels L2 keeps, the fraction each control criterion keeps too, against the ratio; the dashed line is
    /// what chance gives (1 - ratio).
    /// </summary>
    public static Figure CriteriaAgreement(IReadOnlyList<Pipeline.Agreement> agreements)
    {
        var figure = new Figure();
        foreach (var criterion in agreements.GroupBy(a => a.Importance))
            figure.Add(
                new Scatter
                {
                    Name = criterion.Key,
                    Mode = "lines+markers",
                    X = criterion.Select(a => a.Ratio).ToArray(),
                    Y = criterion.Select(a => a.Shared).ToArray(),
                }
            );
        var ratios = agreements.Select(a => a.Ratio).Distinct().Order().ToArray();
        figure.Add(
            new Scatter
            {
                Name = "chance",
                Mode = "lines",
                X = ratios,
                Y = ratios.Select(r => 1 - r).ToArray(),
                Line = new Line { Dash = "dash", Color = "#000" },
            }
        );
        return figure
            .WithTitle("channels kept in common with L2 (full scope, before retraining)")
            .WithAxisTitles("ratio pruned", "fraction of L2's kept channels")
            .WithSize(900, 420);
    }

    /// <summary>
    /// Dev accuracy when one unit alone is pruned, against the ratio: the unpruned model is the dashed line.
    /// </summary>
    public static Figure Sensitivity(IReadOnlyList<SensitivityRow> rows)
    {
        var figure = new Figure();
        var reference = rows.FirstOrDefault(r => r.Unit == Retraining.Sensitivity.ReferenceUnit);
        var units = rows.Where(r => r.Unit != Retraining.Sensitivity.ReferenceUnit).GroupBy(r => r.Unit);
        var ratios = rows.Select(r => r.Ratio).Where(r => r > 0).Distinct().Order().ToArray();
        foreach (var unit in units)
            figure.Add(
                new Scatter
                {
                    Name = unit.Key,
                    Mode = "lines+markers",
                    X = unit.Select(r => r.Ratio).ToArray(),
                    Y = unit.Select(r => r.Accuracy).ToArray(),
                }
            );
        if (reference is not null && ratios.Length > 0)
            figure.Add(
                new Scatter
                {
                    Name = "unpruned",
                    Mode = "lines",
                    X = new[] { ratios[0], ratios[^1] },
                    Y = new[] { reference.Accuracy, reference.Accuracy },
                    Line = new Line { Dash = "dash", Color = "#000" },
                }
            );
        return figure
            .WithTitle("sensitivity: dev accuracy with one unit pruned, no retraining")
            .WithAxisTitles("ratio pruned", "dev accuracy")
            .WithSize(900, 450);
    }
}
