using QuakePrune.Models;

namespace QuakePrune.Pruning;

/// <summary>
/// What a group is in the network: <c>Residual</c>, channels summed by a merge (a residual stream); <c>Stem</c>,
/// channels written from the network input; <c>Hidden</c>, neurons of a layer without spatial axes (a head's hidden
/// layer); <c>Internal</c>, any other (inside a block).
/// </summary>
public enum GroupKind
{
    Stem,
    Internal,
    Residual,
    Hidden,
}

/// <summary>
/// How a layer touches a group's channels: it writes them (its filters), carries one entry per channel (a norm), or
/// reads them (its input channels).
/// </summary>
public enum MemberRole
{
    Producer,
    ChannelWise,
    Consumer,
}

/// <summary>A layer of a group, its role, and its tensors sliced along the group's channels.</summary>
public sealed record GroupMember(string Layer, string Kind, MemberRole Role, IReadOnlyList<ChannelTensor> Tensors);

/// <summary>
/// A set of channels that must be pruned together: every member's slice along the channel axis goes or stays as one.
/// </summary>
public sealed record ChannelGroup(string Name, GroupKind Kind, int Channels, IReadOnlyList<GroupMember> Members)
{
    public IEnumerable<GroupMember> Producers => Members.Where(m => m.Role == MemberRole.Producer);
}

/// <summary>
/// Derives the coupled channel groups from a network description, from what each layer says of itself
/// (<see cref="Layer.Channels"/>): a layer that opens a channel space starts one, a layer that passes channels through
/// keeps its input's, a merge (a residual sum) unites the spaces it sums, and a layer that consumes channels, or mixes
/// them opaquely, fixes the spaces it touches. Each united space with a producer is one group, unless it is fixed: the
/// network input's, every output's, and those of consuming or opaque layers keep all their channels.
/// </summary>
public static class DependencyGroups
{
    public static IReadOnlyList<ChannelGroup> Of(Architecture architecture) => Derive(architecture.Graph);

    public static IReadOnlyList<ChannelGroup> Derive(NetworkGraph graph)
    {
        var parent = new List<int>();
        int NewSpace()
        {
            parent.Add(parent.Count);
            return parent.Count - 1;
        }
        int Find(int s)
        {
            while (parent[s] != s)
                s = parent[s] = parent[parent[s]];
            return s;
        }

        var shapes = graph.DefaultShapes;
        var spaceOf = new Dictionary<string, int> { [NetworkGraph.Input] = NewSpace() };
        var touches = new List<(int Space, GroupMember Member, LayerNode Node)>();
        var fixedSpaces = new List<int> { spaceOf[NetworkGraph.Input] };
        var merges = new List<(int Space, string Layer)>();
        foreach (var node in graph.Order)
        {
            var inputs = NetworkGraph.InputShapes(node, shapes);
            var layer = node.Layer;
            var input = spaceOf[node.Inputs[0]];
            switch (layer.Channels(inputs))
            {
                case ChannelEffect.Opens:
                    touches.Add(
                        (
                            input,
                            new GroupMember(node.Name, layer.Kind, MemberRole.Consumer, layer.InputChannelTensors),
                            node
                        )
                    );
                    spaceOf[node.Name] = NewSpace();
                    touches.Add(
                        (
                            spaceOf[node.Name],
                            new GroupMember(node.Name, layer.Kind, MemberRole.Producer, layer.OutputChannelTensors),
                            node
                        )
                    );
                    break;
                case ChannelEffect.PassesThrough:
                    if (layer.OutputChannelTensors.Count > 0)
                        touches.Add(
                            (
                                input,
                                new GroupMember(
                                    node.Name,
                                    layer.Kind,
                                    MemberRole.ChannelWise,
                                    layer.OutputChannelTensors
                                ),
                                node
                            )
                        );
                    spaceOf[node.Name] = input;
                    break;
                case ChannelEffect.Merges:
                    foreach (var other in node.Inputs.Skip(1))
                        parent[Find(spaceOf[other])] = Find(input);
                    merges.Add((input, node.Name));
                    spaceOf[node.Name] = input;
                    break;
                case ChannelEffect.Consumes:
                    touches.Add(
                        (
                            input,
                            new GroupMember(node.Name, layer.Kind, MemberRole.Consumer, layer.InputChannelTensors),
                            node
                        )
                    );
                    spaceOf[node.Name] = NewSpace();
                    fixedSpaces.Add(spaceOf[node.Name]);
                    break;
                default:
                    fixedSpaces.AddRange(node.Inputs.Select(i => spaceOf[i]));
                    spaceOf[node.Name] = NewSpace();
                    fixedSpaces.Add(spaceOf[node.Name]);
                    break;
            }
        }
        fixedSpaces.AddRange(graph.Outputs.Select(o => spaceOf[o]));
        var fixedRoots = fixedSpaces.Select(Find).ToHashSet();
        var firstMerge = new Dictionary<int, string>();
        foreach (var (space, layer) in merges)
            firstMerge.TryAdd(Find(space), layer);
        var readsInput = graph.Nodes.Where(n => n.Inputs.Contains(NetworkGraph.Input)).Select(n => n.Name).ToHashSet();

        var groups = new List<ChannelGroup>();
        var names = new HashSet<string>();
        foreach (var space in touches.GroupBy(t => Find(t.Space)).Where(g => !fixedRoots.Contains(g.Key)))
        {
            var producers = space.Where(t => t.Member.Role == MemberRole.Producer).ToArray();
            if (producers.Length == 0)
                continue;
            var widths = producers.Select(p => Width(p.Node, shapes)).Distinct().ToArray();
            var first = producers[0];
            if (widths.Length != 1)
                throw new InvalidDataException(
                    $"{first.Node.Name}: layers writing the same channels have different widths ({string.Join(", ", producers.Select(p => $"{p.Node.Name} {Width(p.Node, shapes)}"))})"
                );
            var kind =
                firstMerge.ContainsKey(space.Key) ? GroupKind.Residual
                : producers.Any(p => readsInput.Contains(p.Node.Name)) ? GroupKind.Stem
                : shapes[first.Node.Name].Length == 2 ? GroupKind.Hidden
                : GroupKind.Internal;
            var name = kind switch
            {
                GroupKind.Residual => $"{firstMerge[space.Key].Split('.')[0]}.residual",
                GroupKind.Stem => "stem",
                _ => first.Node.Name,
            };
            // Two residual streams in one top-level module, or two stems, are told apart by their first layer.
            if (!names.Add(name))
            {
                name = kind == GroupKind.Residual ? $"{firstMerge[space.Key]}.residual" : first.Node.Name;
                if (!names.Add(name))
                    throw new InvalidDataException($"two channel groups would be named '{name}'");
            }
            groups.Add(new ChannelGroup(name, kind, widths[0], space.Select(t => t.Member).ToArray()));
        }
        return groups;
    }

    /// <summary>A producer's width: the size of its first per-output-channel tensor along its channel axis.</summary>
    private static int Width(LayerNode node, IReadOnlyDictionary<string, long[]> shapes)
    {
        var tensor = node.Layer.OutputChannelTensors.FirstOrDefault()
            ?? throw new InvalidDataException(
                $"{node.Name}: a {node.Layer.Kind} that opens channels must name the tensor that holds them"
            );
        var state = node.Layer.State(NetworkGraph.InputShapes(node, shapes)).FirstOrDefault(t => t.Name == tensor.Name)
            ?? throw new InvalidDataException($"{node.Name}: no tensor '{tensor.Name}' in its state");
        return (int)state.Shape[tensor.Axis];
    }
}
