using System.Diagnostics;
using QuakePrune.Extract;
using QuakePrune.Outputs;
using QuakePrune.Spectrograms;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Outputs;

public sealed class OutputSetTests
{
    [Fact]
    public void Publishing_is_checked_at_the_rename_and_never_replaces_what_appeared_meanwhile()
    {
        using var dir = new TempDir();
        var target = dir.File("result.csv");
        using (var outputs = new OutputSet("test", overwrite: false, []))
        {
            var partial = outputs.File(target);
            Assert.Matches(@"^\.result\.csv\.quakeprune-partial-\d+$", Path.GetFileName(partial));
            File.WriteAllText(partial, "ours");
            File.WriteAllText(target, "another program's");
            Assert.Contains(
                "appeared while this run was writing it",
                Assert.Throws<IOException>(outputs.Publish).Message
            );
        }
        Assert.Equal("another program's", File.ReadAllText(target));
        Assert.Equal(["result.csv"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Special_files_and_descriptor_links_are_refused_as_outputs_even_with_overwrite_and_left_alone()
    {
        using var dir = new TempDir();
        var fifo = dir.File("pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo))
            mkfifo.WaitForExit();
        Assert.Equal("fifo", KindOf(fifo));
        var link = dir.File("to-null");
        File.CreateSymbolicLink(link, "/dev/null");
        foreach (
            var (path, expected) in new[]
            {
                ("/dev/null", "is a character device"),
                (fifo, "is a FIFO (named pipe)"),
                (link, "is a character device"),
                ("/dev/stdout", "leads into /proc"),
                ("/dev/fd/1", "leads into /proc"),
                ($"/proc/{Environment.ProcessId}/fd/1", "leads into /proc"),
            }
        )
        foreach (
            var declare in new Func<OutputSet, string, string>[]
            {
                (o, p) => o.File(p),
                (o, p) => o.Folder(p),
                (o, p) => o.WorkFolder(p, ["x"]),
            }
        )
        {
            using var outputs = new OutputSet("test", overwrite: true, []);
            Assert.Contains(expected, Assert.Throws<IOException>(() => declare(outputs, path)).Message);
        }
        Assert.Equal("character special file", KindOf("/dev/null"));
        Assert.Equal("fifo", KindOf(fifo));
        Assert.Equal(["pipe", "to-null"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    /// <summary>What stat(1) calls the object at a path ("regular file", "fifo", "character special file").</summary>
    private static string KindOf(string path)
    {
        using var stat = Process.Start(
            new ProcessStartInfo("stat", ["-L", "-c", "%F", path]) { RedirectStandardOutput = true }
        )!;
        var kind = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return kind;
    }

    [Fact]
    public void A_second_claim_on_an_output_fails_until_the_first_is_released()
    {
        using var dir = new TempDir();
        var target = dir.File("model.safetensors");
        using (var first = new OutputSet("test", overwrite: true, []))
        {
            first.File(target);
            using var second = new OutputSet("test", overwrite: true, []);
            Assert.Contains(
                "being written by another quakeprune run",
                Assert.Throws<IOException>(() => second.File(target)).Message
            );
        }
        using var third = new OutputSet("test", overwrite: true, []);
        File.WriteAllText(third.File(target), "x");
        third.Publish();
        Assert.Equal("x", File.ReadAllText(target));
    }

    [Fact]
    public void Partial_files_of_dead_processes_are_swept_and_live_ones_kept()
    {
        using var dir = new TempDir();
        using var dead = Process.Start("true")!;
        dead.WaitForExit();
        var stale = dir.File($".subset.quakeprune-partial-{dead.Id}");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "subset.hdf5"), "half a file");
        var stillRunning = dir.File(".other.csv.quakeprune-partial-1");
        File.WriteAllText(stillRunning, "pid 1 is alive");
        using (var outputs = new OutputSet("test", overwrite: false, []))
            outputs.File(dir.File("unrelated.json"));
        Assert.False(Directory.Exists(stale));
        Assert.True(File.Exists(stillRunning));
    }

    [Fact]
    public void Work_folders_are_marked_and_overwrite_removes_only_the_declared_entries()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        using (var outputs = new OutputSet("train", overwrite: false, []))
        {
            outputs.WorkFolder(run, ["history.csv", "model.safetensors"]);
            File.WriteAllText(Path.Combine(run, "history.csv"), "1");
        }
        using (var again = new OutputSet("train", overwrite: false, []))
            Assert.Contains(
                "--resume",
                Assert.Throws<IOException>(() => again.WorkFolder(run, ["history.csv"])).Message
            );
        using (var other = new OutputSet("retrain", overwrite: true, []))
            Assert.Contains(
                "not made by quakeprune retrain",
                Assert.Throws<IOException>(() => other.WorkFolder(run, ["history.csv"])).Message
            );
        File.WriteAllText(Path.Combine(run, "mine.txt"), "user's");
        using (var overwrite = new OutputSet("train", overwrite: true, []))
            Assert.Contains(
                "mine.txt",
                Assert.Throws<IOException>(() => overwrite.WorkFolder(run, ["history.csv"])).Message
            );
        File.Delete(Path.Combine(run, "mine.txt"));
        using (var overwrite = new OutputSet("train", overwrite: true, []))
            overwrite.WorkFolder(run, ["history.csv"]);
        Assert.False(File.Exists(Path.Combine(run, "history.csv")));
    }

    /// <summary>
    /// `pipeline --stages`: a run of some stages adds to the verb's earlier run and replaces only what those stages
    /// write.
    /// </summary>
    [Fact]
    public void A_run_of_part_of_a_work_folder_keeps_the_rest_and_replaces_its_part_only_with_overwrite()
    {
        using var dir = new TempDir();
        var run = dir.File("run");
        string[] entries = ["subset", "summary.csv", "eqtransformer"];
        using (var first = new OutputSet("pipeline", overwrite: false, []))
        {
            first.WorkFolder(run, entries, part: ["subset", "summary.csv"]);
            Directory.CreateDirectory(Path.Combine(run, "subset"));
            File.WriteAllText(Path.Combine(run, "summary.csv"), "earlier");
        }
        // A stage whose entries are absent adds to the folder, overwrite or not.
        using (var picking = new OutputSet("pipeline", overwrite: false, []))
        {
            picking.WorkFolder(run, entries, part: ["eqtransformer"]);
            Directory.CreateDirectory(Path.Combine(run, "eqtransformer"));
        }
        Assert.Equal("earlier", File.ReadAllText(Path.Combine(run, "summary.csv")));
        // Present again: refused without overwrite, naming what it holds; with overwrite only that entry goes.
        using (var again = new OutputSet("pipeline", overwrite: false, []))
            Assert.Contains(
                "earlier run's eqtransformer",
                Assert.Throws<IOException>(() => again.WorkFolder(run, entries, part: ["eqtransformer"])).Message
            );
        using (var replace = new OutputSet("pipeline", overwrite: true, []))
            replace.WorkFolder(run, entries, part: ["eqtransformer"]);
        Assert.False(Directory.Exists(Path.Combine(run, "eqtransformer")));
        Assert.True(Directory.Exists(Path.Combine(run, "subset")));
        Assert.Equal("earlier", File.ReadAllText(Path.Combine(run, "summary.csv")));
        using (var wrong = new OutputSet("pipeline", overwrite: true, []))
            Assert.Throws<ArgumentException>(() => wrong.WorkFolder(run, entries, part: ["notes.txt"]));
    }

    /// <summary>
    /// Issue 17, point 6: the same seed gives byte-identical HDF5 files (no object modification times).
    /// </summary>
    [Fact]
    public void The_same_seed_gives_byte_identical_files()
    {
        using var dir = new TempDir();
        // The same paths both times: the spectrogram file records its subset's path.
        byte[][] Make()
        {
            SyntheticStead.Write(
                dir.File("syn"),
                new SynthOptions
                {
                    Traces = 40,
                    Seed = 3,
                    Overwrite = true,
                }
            );
            var subset = SubsetExtractor.Extract(
                new ExtractOptions
                {
                    Inputs = [dir.File("syn")],
                    OutputDirectory = dir.File("subset"),
                    PerClass = 10,
                    Overwrite = true,
                }
            );
            SpectrogramFile.Write(
                new SpectrogramJob
                {
                    Subset = dir.File("subset"),
                    OutputPath = dir.File("images.h5"),
                    Settings = new() { Size = new ImageSize(16, 16) },
                    Overwrite = true,
                }
            );
            return
            [
                File.ReadAllBytes(dir.File("syn.hdf5")),
                File.ReadAllBytes(subset.Hdf5Path),
                File.ReadAllBytes(dir.File("images.h5")),
            ];
        }
        var first = Make();
        // HDF5 object times have a one-second resolution: the second run starts in a later second.
        Thread.Sleep(1100);
        var second = Make();
        for (var i = 0; i < first.Length; i++)
            Assert.True(first[i].AsSpan().SequenceEqual(second[i]), $"file {i} differs");
    }
}
