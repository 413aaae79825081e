using QuakePrune.Models;

namespace QuakePrune.Pruning;

public enum GroupKind { Stem, Internal, Residual, Hidden }

/// <summary>How a layer touches a group's channels: it writes them (rows of its weight), normalises them, or reads them (columns).</summary>
public enum MemberRole { Producer, Norm, Consumer }

public sealed record GroupMember(string Layer, LayerKind Kind, MemberRole Role);

/// <summary>A set of channels that must be pruned together: every member's slice along the channel axis goes or stays as one.</summary>
public sealed record ChannelGroup(string Name, GroupKind Kind, int Channels, IReadOnlyList<GroupMember> Members)
{
    public IEnumerable<GroupMember> Producers => Members.Where(m => m.Role == MemberRole.Producer);
}

/// <summary>
/// Derives the coupled channel groups from a network's dataflow: a convolution or linear layer opens a
/// new channel space, normalisation, activation and pooling pass it through, and a residual add merges
/// the spaces it sums. Each merged space is one group. The network input and the classifier output are
/// never prunable, so they are not groups.
/// </summary>
public static class DependencyGroups
{
    public static IReadOnlyList<ChannelGroup> Of(ResNetArchitecture architecture) => Derive(LayerGraph.Of(architecture));

    public static IReadOnlyList<ChannelGroup> Derive(IReadOnlyList<Layer> layers)
    {
        var parent = new List<int>();
        int NewSpace()
        {
            parent.Add(parent.Count);
            return parent.Count - 1;
        }
        int Find(int s)
        {
            while (parent[s] != s) s = parent[s] = parent[parent[s]];
            return s;
        }

        var spaceOf = new Dictionary<string, int> { [LayerGraph.Input] = NewSpace() };
        var touches = new List<(int Space, GroupMember Member)>();
        var merged = new HashSet<int>();
        foreach (var layer in layers)
        {
            var input = spaceOf[layer.Inputs[0]];
            switch (layer.Kind)
            {
                case LayerKind.Conv2d or LayerKind.Linear:
                    var output = NewSpace();
                    touches.Add((input, new GroupMember(layer.Name, layer.Kind, MemberRole.Consumer)));
                    touches.Add((output, new GroupMember(layer.Name, layer.Kind, MemberRole.Producer)));
                    spaceOf[layer.Output] = output;
                    break;
                case LayerKind.BatchNorm2d:
                    touches.Add((input, new GroupMember(layer.Name, layer.Kind, MemberRole.Norm)));
                    spaceOf[layer.Output] = input;
                    break;
                case LayerKind.Add:
                    foreach (var other in layer.Inputs.Skip(1)) parent[Find(spaceOf[other])] = Find(input);
                    merged.Add(input);
                    spaceOf[layer.Output] = input;
                    break;
                default:
                    spaceOf[layer.Output] = input;
                    break;
            }
        }

        var networkInput = Find(spaceOf[LayerGraph.Input]);
        var classifierOutput = Find(spaceOf[layers[^1].Output]);
        var mergedRoots = merged.Select(Find).ToHashSet();
        var channelsOf = layers.ToDictionary(l => l.Name, l => l.OutChannels);
        var inputReaders = layers.Where(l => l.Inputs.Contains(LayerGraph.Input)).Select(l => l.Name).ToHashSet();

        return touches
            .GroupBy(t => Find(t.Space))
            .Where(g => g.Key != networkInput && g.Key != classifierOutput)
            .Select(g =>
            {
                var members = g.Select(t => t.Member).ToArray();
                var producers = members.Where(m => m.Role == MemberRole.Producer).ToArray();
                var first = producers[0];
                var kind = mergedRoots.Contains(g.Key) ? GroupKind.Residual
                    : producers.Any(p => inputReaders.Contains(p.Layer)) ? GroupKind.Stem
                    : first.Kind == LayerKind.Linear ? GroupKind.Hidden
                    : GroupKind.Internal;
                var name = kind switch
                {
                    GroupKind.Residual => $"{first.Layer.Split('.')[0]}.residual",
                    GroupKind.Stem => "stem",
                    _ => first.Layer,
                };
                return new ChannelGroup(name, kind, channelsOf[first.Layer], members);
            })
            .ToArray();
    }
}
