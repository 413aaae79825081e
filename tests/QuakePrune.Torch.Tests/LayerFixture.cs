using System.Text.Json;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// One file written by Fixtures/make_layer_fixtures.py (PyTorch 1.13): per case C, the metadata entry C (the layer's
/// arguments as JSON) and tensors C.state.*, C.input, C.h0..., C.output..., C.grad_output.*, C.grad.*. Tensors are
/// loaded outside any dispose scope and freed with the fixture.
/// </summary>
internal sealed class LayerFixture : IDisposable
{
    private readonly OrderedDictionary<string, Tensor> tensors;
    private readonly IReadOnlyDictionary<string, string> metadata;

    private LayerFixture(SafetensorsFile file) => (tensors, metadata) = (file.Tensors, file.Metadata);

    public static string PathOf(string name) =>
        System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", name + ".safetensors");

    public static LayerFixture Load(string name)
    {
        using var scope = NewDisposeScope();
        var file = Safetensors.LoadTensors(PathOf(name));
        foreach (var tensor in file.Tensors.Values)
            tensor.DetachFromDisposeScope();
        return new LayerFixture(file);
    }

    /// <summary>The case names of a fixture file, for [MemberData].</summary>
    public static TheoryData<string> Cases(string name) =>
        new(Safetensors.ReadMetadata(PathOf(name)).Keys.Order(StringComparer.Ordinal));

    public JsonElement Config(string @case) => JsonDocument.Parse(metadata[@case]).RootElement;

    public Tensor this[string @case, string key] =>
        tensors.TryGetValue($"{@case}.{key}", out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"fixture has no tensor '{@case}.{key}'");

    public bool Has(string @case, string key) => tensors.ContainsKey($"{@case}.{key}");

    /// <summary>The tensors under "case.prefix." by their remaining names (e.g. a state dict under "state").</summary>
    public Dictionary<string, Tensor> Group(string @case, string prefix)
    {
        var start = $"{@case}.{prefix}.";
        return tensors
            .Where(t => t.Key.StartsWith(start, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[start.Length..], t => t.Value);
    }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }

    /// <summary>
    /// Asserts equal shapes and |actual - expected| &lt;= atol + rtol * |expected| everywhere (in float64), naming the
    /// worst element.
    /// </summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what, double atol = 1e-5, double rtol = 1e-5)
    {
        Assert.True(
            expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], PyTorch's [{string.Join(", ", expected.shape)}]"
        );
        using var e = expected.detach().to(ScalarType.Float64);
        using var a = actual.detach().cpu();
        using var a64 = a.to(ScalarType.Float64);
        var want = e.ToArray<double>();
        var got = a64.ToArray<double>();
        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < want.Length; i++)
        {
            var excess = Math.Abs(got[i] - want[i]) - (atol + rtol * Math.Abs(want[i]));
            if (excess > worstExcess || double.IsNaN(got[i]) != double.IsNaN(want[i]))
                (worst, worstExcess) = (i, double.IsNaN(excess) ? double.PositiveInfinity : excess);
        }
        Assert.True(
            worst < 0,
            worst < 0
                ? ""
                : $"{what}: element {worst} is {got[worst]}, PyTorch's {want[worst]} (atol {atol}, rtol {rtol})"
        );
    }
}
