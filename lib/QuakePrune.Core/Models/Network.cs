using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>
/// The modules of an <see cref="Architecture"/>, built from its description: each layer with state registers its module
/// under its dotted name (containers made for the prefixes, so <c>layer1.0.conv1.weight</c> is where torchvision has
/// it), and the forward runs the layers in dependency order, releasing each value after its last reader. Fresh weights
/// are initialised as the architecture's builder does.
/// </summary>
public sealed class Network : nn.Module<Tensor, Tensor>
{
    /// <summary>A module that only holds others (a dotted prefix such as <c>layer1</c> or <c>layer1.0</c>).</summary>
    private sealed class Container : nn.Module;

    private readonly LayerNode[] order;
    private readonly nn.Module?[] layerModules;
    private readonly int[][] inputSlots;
    private readonly Dictionary<string, int> slotOf;
    private readonly ForwardPlan outputsPlan;
    private readonly Dictionary<string, ForwardPlan> nodePlans = new(StringComparer.Ordinal);

    /// <summary>
    /// What one forward computes: the layers (indices in order) that the wanted slots need, per such layer the slots
    /// whose last reader it is (released after it), and the wanted slots.
    /// </summary>
    private sealed record ForwardPlan(int[] Layers, int[][] ReleasedAfter, int[] Wanted);

    public Architecture Architecture { get; }
    public NetworkGraph Graph { get; }

    /// <param name="initialise">False when every weight is about to be loaded (a checkpoint, a pruned copy): the
    /// builder's initialisation is skipped.</param>
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
        slotOf = order
            .Select((n, k) => (n.Name, k + 1))
            .ToDictionary(x => x.Name, x => x.Item2, StringComparer.Ordinal);
        slotOf[NetworkGraph.Input] = 0;
        inputSlots = order.Select(n => n.Inputs.Select(i => slotOf[i]).ToArray()).ToArray();
        outputsPlan = Plan(Graph.Outputs.Select(o => slotOf[o]).ToArray());
        if (initialise)
            architecture.Builder.Initialise(this);
    }

    /// <summary>
    /// The layers that <paramref name="wanted"/> needs, and when each value they read can be released.
    /// </summary>
    private ForwardPlan Plan(int[] wanted)
    {
        var needed = new bool[order.Length + 1];
        foreach (var s in wanted)
            needed[s] = true;
        for (var k = order.Length - 1; k >= 0; k--)
            if (needed[k + 1])
                foreach (var s in inputSlots[k])
                    needed[s] = true;
        var layers = Enumerable.Range(0, order.Length).Where(k => needed[k + 1]).ToArray();
        var lastReader = new int[order.Length + 1];
        Array.Fill(lastReader, -1);
        foreach (var k in layers)
        foreach (var s in inputSlots[k])
            lastReader[s] = k;
        var releasedAfter = layers
            .Select(k =>
                Enumerable.Range(1, order.Length).Where(s => lastReader[s] == k && !wanted.Contains(s)).ToArray()
            )
            .ToArray();
        return new ForwardPlan(layers, releasedAfter, wanted);
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

    /// <summary>
    /// The single output (logits for a classifier) for an input of the description's rank and channel count.
    /// </summary>
    public override Tensor forward(Tensor x)
    {
        if (outputsPlan.Wanted.Length != 1)
            throw new InvalidOperationException(
                $"the network has {outputsPlan.Wanted.Length} outputs: call ForwardAll"
            );
        return ForwardAll(x)[0];
    }

    /// <summary>Every output, in the description's order.</summary>
    public Tensor[] ForwardAll(Tensor x) => Run(x, outputsPlan);

    /// <summary>
    /// The values of the named layers, in the order given, running only the layers they need: what a loss that reads a
    /// value inside the network uses (a picker's logits, before the sigmoid that makes its outputs).
    /// </summary>
    public Tensor[] ForwardNodes(Tensor x, IReadOnlyList<string> nodes)
    {
        var key = string.Join("\n", nodes);
        if (!nodePlans.TryGetValue(key, out var plan))
        {
            var slots = nodes
                .Select(n =>
                    slotOf.TryGetValue(n, out var slot) && slot > 0
                        ? slot
                        : throw new ArgumentException($"the network has no layer '{n}'")
                )
                .ToArray();
            nodePlans[key] = plan = Plan(slots);
        }
        return Run(x, plan);
    }

    private Tensor[] Run(Tensor x, ForwardPlan plan)
    {
        if (x.dim() != Graph.InputShape.Length || x.shape[1] != Graph.InChannels)
            throw new ArgumentException(
                $"the network expects input [N, {Graph.InChannels}{string.Concat(Enumerable.Repeat(", ...", Graph.InputShape.Length - 2))}], "
                    + $"got [{string.Join(", ", x.shape)}]"
            );
        var values = new Tensor?[order.Length + 1];
        values[0] = x;
        for (var j = 0; j < plan.Layers.Length; j++)
        {
            var k = plan.Layers[j];
            var slots = inputSlots[k];
            var released = plan.ReleasedAfter[j];
            var inputs = slots.Select(s => values[s]!).ToArray();
            // The first input may be overwritten when this layer is its last reader, it is not the caller's tensor, and
            // it is read once here.
            var first = slots[0];
            var mayOverwrite = first != 0 && released.Contains(first) && slots.Count(s => s == first) == 1;
            var y = order[k].Layer.Forward(layerModules[k], inputs, training, mayOverwrite);
            foreach (var s in released)
            {
                if (!ReferenceEquals(values[s], y))
                    values[s]!.Dispose();
                values[s] = null;
            }
            values[k + 1] = y;
        }
        return plan.Wanted.Select(s => values[s]!).ToArray();
    }
}
