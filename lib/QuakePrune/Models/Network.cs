using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>
/// The modules of an <see cref="Architecture"/>, built from its description: each layer with state registers its module
/// under its dotted name (containers made for the prefixes, so <c>layer1.0.conv1.weight</c> is where torchvision has it),
/// and the forward runs the layers in dependency order, releasing each value after its last reader. Fresh weights are
/// initialised as the architecture's builder does.
/// </summary>
public sealed class Network : nn.Module<Tensor, Tensor>
{
    /// <summary>A module that only holds others (a dotted prefix such as <c>layer1</c> or <c>layer1.0</c>).</summary>
    private sealed class Container : nn.Module;

    private readonly LayerNode[] order;
    private readonly nn.Module?[] layerModules;
    private readonly int[][] inputSlots;
    /// <summary>Per layer (in order), the slots whose last reader it is.</summary>
    private readonly int[][] releasedAfter;
    private readonly int[] outputSlots;

    public Architecture Architecture { get; }
    public NetworkGraph Graph { get; }

    /// <param name="initialise">False when every weight is about to be loaded (a checkpoint, a pruned copy): the builder's initialisation is skipped.</param>
    public Network(Architecture architecture, bool initialise = true)
    {
        Architecture = architecture;
        Graph = architecture.Graph;
        var shapes = Graph.DefaultShapes;
        var built = new Dictionary<string, nn.Module>();
        foreach (var node in Graph.Nodes)
            if (node.Layer.CreateModule(NetworkGraph.InputShapes(node, shapes)) is { } module)
                Register(node.Name, built[node.Name] = module);

        order = Graph.Order.ToArray();
        layerModules = order.Select(n => built.GetValueOrDefault(n.Name)).ToArray();
        // Slot 0 is the network input; slot k + 1 the output of the k-th layer in order.
        var slot = order.Select((n, k) => (n.Name, k + 1)).ToDictionary(x => x.Name, x => x.Item2);
        slot[NetworkGraph.Input] = 0;
        inputSlots = order.Select(n => n.Inputs.Select(i => slot[i]).ToArray()).ToArray();
        outputSlots = Graph.Outputs.Select(o => slot[o]).ToArray();
        var lastReader = new int[order.Length + 1];
        Array.Fill(lastReader, -1);
        for (var k = 0; k < order.Length; k++)
            foreach (var s in inputSlots[k]) lastReader[s] = k;
        releasedAfter = order.Select((_, k) => Enumerable.Range(1, order.Length)
            .Where(s => lastReader[s] == k && !outputSlots.Contains(s)).ToArray()).ToArray();
        if (initialise) architecture.Builder.Initialise(this);
    }

    /// <summary>Registers <paramref name="module"/> at a dotted name, creating containers for its prefixes.</summary>
    private void Register(string name, nn.Module module)
    {
        var parts = name.Split('.');
        nn.Module parent = this;
        for (var k = 0; k < parts.Length - 1; k++)
        {
            var child = parent.named_children().FirstOrDefault(c => c.name == parts[k]).module;
            parent = child ?? parent.register_module(parts[k], new Container());
        }
        parent.register_module(parts[^1], module);
    }

    /// <summary>The single output (logits for a classifier) for an input of the description's rank and channel count.</summary>
    public override Tensor forward(Tensor x)
    {
        if (outputSlots.Length != 1) throw new InvalidOperationException($"the network has {outputSlots.Length} outputs: call ForwardAll");
        return ForwardAll(x)[0];
    }

    /// <summary>Every output, in the description's order.</summary>
    public Tensor[] ForwardAll(Tensor x)
    {
        if (x.dim() != Graph.InputShape.Length || x.shape[1] != Graph.InChannels)
            throw new ArgumentException($"the network expects input [N, {Graph.InChannels}{string.Concat(Enumerable.Repeat(", ...", Graph.InputShape.Length - 2))}], " +
                                        $"got [{string.Join(", ", x.shape)}]");
        var values = new Tensor?[order.Length + 1];
        values[0] = x;
        for (var k = 0; k < order.Length; k++)
        {
            var slots = inputSlots[k];
            var inputs = slots.Select(s => values[s]!).ToArray();
            // The first input may be overwritten when this layer is its last reader, it is not the caller's tensor, and it is read once here.
            var first = slots[0];
            var mayOverwrite = first != 0 && releasedAfter[k].Contains(first) && slots.Count(s => s == first) == 1;
            var y = order[k].Layer.Forward(layerModules[k], inputs, training, mayOverwrite);
            foreach (var s in releasedAfter[k])
            {
                if (!ReferenceEquals(values[s], y)) values[s]!.Dispose();
                values[s] = null;
            }
            values[k + 1] = y;
        }
        return outputSlots.Select(s => values[s]!).ToArray();
    }
}
