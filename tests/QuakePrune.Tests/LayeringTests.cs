using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace QuakePrune.Tests;

/// <summary>
/// The library's layers (lib/README.md): Common at the bottom; Data over it; Core over it and libtorch
/// (QuakePrune.Torch), never over Data; Study over both. The compiler refuses a reference a project does not declare;
/// this reads what each built assembly references and fails on any arrow the picture lacks, so a project reference
/// added upward cannot go unnoticed. No Torch is loaded: only assembly metadata is read.
/// </summary>
public sealed class LayeringTests
{
    private const string Common = "QuakePrune.Common",
        Data = "QuakePrune.Data",
        Core = "QuakePrune.Core",
        Study = "QuakePrune.Study",
        Torch = "QuakePrune.Torch";

    /// <summary>Each layer's assembly, by a type it holds, and the project assemblies it may reference.</summary>
    public static TheoryData<string, string[]> Layers =>
        new()
        {
            { Common, [] },
            { Data, [Common] },
            { Core, [Common, Torch] },
            { Study, [Common, Data, Core, Torch] },
            { Torch, [] },
        };

    private static Assembly Of(string layer) =>
        layer switch
        {
            Common => typeof(Rng).Assembly,
            Data => typeof(QuakePrune.Spectrograms.SpectrogramSettings).Assembly,
            Core => typeof(QuakePrune.Models.Network).Assembly,
            Study => typeof(QuakePrune.Training.Trainer).Assembly,
            Torch => typeof(QuakePrune.Torch.torch).Assembly,
            _ => throw new ArgumentException(layer),
        };

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_layer_references_only_the_layers_below_it(string layer, string[] allowed)
    {
        var assembly = Of(layer);
        Assert.Equal(layer, assembly.GetName().Name);
        var ours = assembly
            .GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name.StartsWith("QuakePrune", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var upward = ours.Except(allowed).ToArray();
        Assert.True(
            upward.Length == 0,
            $"{layer} references {string.Join(", ", upward)}; it may reference only {(allowed.Length == 0 ? "none of ours" : string.Join(", ", allowed))}"
        );
    }

    [Fact]
    public void The_types_every_layer_shares_sit_in_the_root_namespace_of_the_bottom_layer()
    {
        Assert.Equal((Common, "QuakePrune"), (typeof(Rng).Assembly.GetName().Name, typeof(Rng).Namespace));
        Assert.Equal((Common, "QuakePrune"), (typeof(ImageSize).Assembly.GetName().Name, typeof(ImageSize).Namespace));
    }

    [Fact]
    public void Each_namespace_lives_in_one_layer()
    {
        // Namespaces stayed as they were when the one assembly was split: a folder is a namespace, and a namespace one
        // layer.
        var expected = new Dictionary<string, string>
        {
            ["QuakePrune.Outputs"] = Common,
            ["QuakePrune.Statistics"] = Common,
            ["QuakePrune.Hdf5"] = Data,
            ["QuakePrune.Stead"] = Data,
            ["QuakePrune.Synth"] = Data,
            ["QuakePrune.Extract"] = Data,
            ["QuakePrune.Spectrograms"] = Data,
            ["QuakePrune.Models"] = Core,
            ["QuakePrune.Pruning"] = Core,
            ["QuakePrune.Inference"] = Core,
            ["QuakePrune.Latency"] = Core,
            ["QuakePrune.Export"] = Core,
            ["QuakePrune.Training"] = Study,
            ["QuakePrune.Retraining"] = Study,
            ["QuakePrune.Picking"] = Study,
            ["QuakePrune.Pipeline"] = Study,
        };
        var misplaced = new[] { Common, Data, Core, Study }
            .SelectMany(layer =>
                Of(layer)
                    .GetTypes()
                    .Where(t => t.Namespace?.StartsWith("QuakePrune", StringComparison.Ordinal) == true)
                    .Select(t => (Layer: layer, Type: t))
            )
            .Where(x =>
                expected.TryGetValue(x.Type.Namespace!, out var home)
                    ? home != x.Layer
                    : x.Type.Namespace != "QuakePrune" || x.Layer != Common
            )
            .Select(x => $"{x.Type.FullName} in {x.Layer}")
            .ToArray();
        Assert.True(misplaced.Length == 0, string.Join("\n", misplaced));
    }

    /// <summary>
    /// The library's own programs stand on its layers, never on the command line: the reader that runs libhdf5 on files
    /// a run did not write on the Data layer, the trainer of one picker (started to train pickers side by side) on the
    /// Study layer. No project references them (each finds them in the build's artifacts layout), so their metadata is
    /// read from there.
    /// </summary>
    [Theory]
    [InlineData("QuakePrune.Hdf5Reader", Data, new[] { Common, Data })]
    [InlineData("QuakePrune.PickerTrainer", Study, new[] { Common, Data, Core, Study, Torch })]
    public void A_library_program_stands_on_its_layer_and_not_on_the_command_line(
        string program,
        string layer,
        string[] allowed
    )
    {
        var here = Path.GetDirectoryName(typeof(LayeringTests).Assembly.Location)!;
        var path = Path.Combine(
            Path.GetDirectoryName(Path.GetDirectoryName(here))!,
            program,
            Path.GetFileName(here),
            program + ".dll"
        );
        Assert.True(File.Exists(path), $"{path} is not built (build the solution)");
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        var ours = metadata
            .AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name))
            .Where(name => name.StartsWith("QuakePrune", StringComparison.OrdinalIgnoreCase))
            .ToHashSet();
        Assert.Contains(layer, ours);
        Assert.Subset(allowed.ToHashSet(), ours);
    }
}
