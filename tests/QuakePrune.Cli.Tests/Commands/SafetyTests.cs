using System.Diagnostics;
using System.Text;
using QuakePrune.Hdf5;
using QuakePrune.Outputs;
using QuakePrune.Stead;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// Issue 17's guarantees, each on hostile input the test makes: outputs never overwritten without --overwrite nor ever
/// an input; one winner when two runs race; signals and killed runs leave nothing behind; numeric options bounded;
/// damaged HDF5 never kills the process; warnings when a result is smaller than asked; messages in words.
/// </summary>
public sealed class SafetyTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-safety-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string At(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    private static void Refused((int Code, string Out, string Err) run, string expected)
    {
        Assert.True(run.Code == 1, $"exit {run.Code}: {run.Err}{run.Out}");
        Assert.Contains(expected, run.Err);
        Assert.DoesNotContain("Exception", run.Err);
        Assert.DoesNotContain("System.", run.Err);
        Assert.DoesNotContain("   at ", run.Err);
    }

    private string Synth(string name = "syn", int traces = 60)
    {
        Ok(
            CliRunner.Run(
                "synth",
                "--out",
                At(name),
                "--traces",
                traces.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--seed",
                "5"
            )
        );
        return At(name);
    }

    private string[] Entries() =>
        Directory
            .GetFileSystemEntries(dir)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToArray();

    // ---- 1. no output overwritten without --overwrite; no input ever written over

    [Fact]
    public void Existing_outputs_are_refused_without_overwrite_and_inputs_always()
    {
        var input = Synth();
        Refused(CliRunner.Run("synth", "--out", input, "--traces", "10"), "--overwrite");
        var model = At("model.safetensors");
        File.WriteAllText(model, "a trained model");
        var data = At("spectrograms.h5");
        File.WriteAllText(data, "spectrograms");
        Refused(CliRunner.Run("model", "init", "--out", model, "--hidden", "0"), "--overwrite");
        // The output is one of the inputs: refused even with --overwrite, by path, symbolic link or hard link.
        Refused(
            CliRunner.Run("predict", "--model", model, "--data", data, "--out", data, "--overwrite"),
            "is the input"
        );
        Refused(CliRunner.Run("prune", "--model", model, "--out", model, "--overwrite"), "is the input");
        File.CreateSymbolicLink(At("link.safetensors"), model);
        Refused(
            CliRunner.Run("prune", "--model", model, "--out", At("link.safetensors"), "--overwrite"),
            "is the input"
        );
        using (var ln = Process.Start("ln", [model, At("hard.safetensors")])!)
            ln.WaitForExit();
        Refused(
            CliRunner.Run("prune", "--model", At("hard.safetensors"), "--out", model, "--overwrite"),
            "is the input"
        );
        Refused(
            CliRunner.Run(
                "evaluate",
                "--model",
                model,
                "--data",
                data,
                "--out",
                Path.Combine(dir, ".", "sub", "..", "spectrograms.h5"),
                "--overwrite"
            ),
            "is the input"
        );
        Refused(
            CliRunner.Run("sensitivity", "--model", model, "--data", data, "--out", model, "--overwrite"),
            "is the input"
        );
        Refused(CliRunner.Run("bench", "--model", model, "--out", model, "--overwrite"), "is the input");
        Refused(
            CliRunner.Run("report", "--baseline", model, "--data", data, "--out", data, "--overwrite"),
            "is the input"
        );
        Refused(
            CliRunner.Run("train", "--data", data, "--init", model, "--out", dir, "--overwrite"),
            "holds the input"
        );
        Refused(
            CliRunner.Run("retrain", "--model", model, "--data", data, "--out", dir, "--overwrite"),
            "holds the input"
        );
        Assert.Equal("a trained model", File.ReadAllText(model));
        Assert.Equal("spectrograms", File.ReadAllText(data));
    }

    [Theory]
    [InlineData(
        "--p-status",
        "manaul",
        "--p-status 'manaul' is not a STEAD pick status (one of manual, automatic, autopicker)"
    )]
    [InlineData("--p-status", "manual,automatc", "--p-status 'automatc' is not a STEAD pick status")]
    [InlineData("--receiver-type", "HHZ", "--receiver-type 'HHZ' is not a channel prefix")]
    public void A_misspelt_filter_value_is_refused_rather_than_matching_nothing(
        string option,
        string value,
        string expected
    )
    {
        var input = Synth();
        Refused(
            CliRunner.Run("extract", "--input", input, "--out", At("subset"), "--per-class", "5", option, value),
            expected
        );
        Assert.DoesNotContain("subset", Entries());
        Ok(
            CliRunner.Run(
                "extract",
                "--input",
                input,
                "--out",
                At("subset"),
                "--per-class",
                "5",
                "--p-status",
                "Manual,autopicker"
            )
        );
    }

    [Fact]
    public void Special_files_are_never_outputs_even_with_overwrite_and_stay_what_they_were()
    {
        var model = At("model.safetensors");
        Ok(CliRunner.Run("model", "init", "--out", model, "--hidden", "0"));
        var fifo = At("pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo)!)
            mkfifo.WaitForExit();
        Refused(
            CliRunner.Run("prune", "--model", model, "--out", "/dev/null", "--overwrite"),
            "output '/dev/null' is a character device"
        );
        Refused(CliRunner.Run("prune", "--model", model, "--out", fifo, "--overwrite"), "is a FIFO (named pipe)");
        Refused(CliRunner.Run("prune", "--model", model, "--out", "/dev/stdout", "--overwrite"), "leads into /proc");
        Refused(CliRunner.Run("synth", "--out", "/dev/fd/1", "--traces", "10", "--overwrite"), "leads into /proc");
        using (
            var stat = Process.Start(
                new ProcessStartInfo("stat", ["-c", "%F", "/dev/null", fifo]) { RedirectStandardOutput = true }
            )!
        )
        {
            Assert.Equal(
                ["character special file", "fifo"],
                stat.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            );
            stat.WaitForExit();
        }
        Assert.Equal(
            ["model.safetensors", "pipe"],
            Entries().Where(e => !e.EndsWith(".quakeprune-lock", StringComparison.Ordinal))
        );
    }

    [Fact]
    public void A_checkpoint_left_half_written_by_a_killed_run_is_a_partial_the_next_run_reclaims()
    {
        // What a run killed inside Checkpoint.Save leaves: its partial under the one scheme, with a process id that is
        // gone.
        var model = At("model.safetensors");
        Ok(CliRunner.Run("model", "init", "--out", model, "--hidden", "0"));
        var deadPid = 4_194_304 + 1; // above Linux's largest process id: no process has it
        var leftover = Path.Combine(dir, $".p.safetensors.quakeprune-partial-{deadPid}");
        File.WriteAllText(leftover, "half a checkpoint");
        Ok(CliRunner.Run("prune", "--model", model, "--out", At("p.safetensors")));
        Assert.False(File.Exists(leftover), "the dead run's partial checkpoint was left");
        Assert.DoesNotContain(Directory.GetFiles(dir, "*.tmp"), _ => true);
    }

    [Fact]
    public void Extract_overwrite_replaces_only_a_folder_it_made_and_never_the_working_folder_or_its_inputs()
    {
        var input = Synth();
        // In a child process in a scratch folder: a build that lets --out . through empties the folder it runs in.
        var scratch = At("scratch");
        Directory.CreateDirectory(scratch);
        File.WriteAllText(Path.Combine(scratch, "precious.txt"), "keep");
        using (
            var child = ChildCli.StartIn(
                scratch,
                "extract",
                "--input",
                input,
                "--out",
                ".",
                "--per-class",
                "5",
                "--overwrite"
            )
        )
            Refused(ChildCli.Finish(child, 300), "working folder");
        Assert.Equal("keep", File.ReadAllText(Path.Combine(scratch, "precious.txt")));
        Directory.Delete(scratch, true);
        Refused(
            CliRunner.Run("extract", "--input", input, "--out", dir, "--per-class", "5", "--overwrite"),
            "holds the input"
        );
        var output = At("subset");
        Directory.CreateDirectory(Path.Combine(output, "mine"));
        File.WriteAllText(Path.Combine(output, "notes.txt"), "keep");
        Refused(
            CliRunner.Run("extract", "--input", input, "--out", output, "--per-class", "5", "--overwrite"),
            "not made by quakeprune"
        );
        Assert.Equal("keep", File.ReadAllText(Path.Combine(output, "notes.txt")));
        Directory.Delete(output, true);
        Ok(CliRunner.Run("extract", "--input", input, "--out", output, "--per-class", "5"));
        Refused(CliRunner.Run("extract", "--input", input, "--out", output, "--per-class", "5"), "--overwrite");
        Ok(CliRunner.Run("extract", "--input", input, "--out", output, "--per-class", "6", "--overwrite"));
        File.WriteAllText(Path.Combine(output, "notes.txt"), "keep");
        Refused(
            CliRunner.Run("extract", "--input", input, "--out", output, "--per-class", "5", "--overwrite"),
            "notes.txt"
        );
        Assert.Equal(13, File.ReadAllLines(Path.Combine(output, "subset.csv")).Length);
        Assert.True(File.Exists(input + ".hdf5") && File.Exists(input + ".csv"));
    }

    [Fact]
    public void Notebooks_run_never_writes_over_a_notebook()
    {
        var notebooks = At("notebooks");
        Directory.CreateDirectory(notebooks);
        var index = Path.Combine(notebooks, "index.ipynb");
        File.WriteAllText(index, "{}");
        Refused(CliRunner.Run("notebooks", "run", index, "--out", At("reports")), "index.html");
        var other = Path.Combine(notebooks, "study.ipynb");
        File.WriteAllText(other, "{}");
        Refused(CliRunner.Run("notebooks", "run", other, "--out", notebooks, "--overwrite"), "holds the input");
        Assert.Equal("{}", File.ReadAllText(other));
    }

    // ---- 2. two runs to one output: never both succeed

    [Fact]
    public void Two_extracts_into_one_folder_do_not_both_succeed()
    {
        var input = Synth();
        var output = At("race");
        using var first = ChildCli.Start("extract", "--input", input, "--out", output, "--per-class", "20");
        using var second = ChildCli.Start(
            "extract",
            "--input",
            input,
            "--out",
            output,
            "--per-class",
            "20",
            "--seed",
            "2"
        );
        var results = new[] { ChildCli.Finish(first, 300), ChildCli.Finish(second, 300) };
        Assert.Single(results, r => r.Code == 0);
        var loser = results.Single(r => r.Code != 0);
        Assert.Matches("being written by another quakeprune run|exists \\(use --overwrite", loser.Err);
        Assert.Equal(["race", "syn.csv", "syn.hdf5"], Entries());
    }

    [Fact]
    public void A_run_fails_at_once_on_an_output_another_run_holds()
    {
        var input = Synth();
        using var holder = new OutputSet("extract", overwrite: true, []);
        holder.Folder(At("held"));
        Refused(
            CliRunner.Run("extract", "--input", input, "--out", At("held"), "--per-class", "5", "--overwrite"),
            "being written by another quakeprune run"
        );
    }

    // ---- 3. SIGTERM and SIGHUP like SIGINT; partial files of killed runs removed by the next run

    /// <summary>
    /// An extract whose CSV is a pipe held open: it blocks in its scan with its partial folder made, until a signal.
    /// Returns the child and the pipe's writer (kept open for the test's length).
    /// </summary>
    private (Process Child, FileStream Pipe) BlockedExtract(string output)
    {
        var input = Synth();
        File.Copy(input + ".hdf5", At("blocked.hdf5"));
        using (var mkfifo = Process.Start("mkfifo", [At("blocked.csv")])!)
            mkfifo.WaitForExit();
        var child = ChildCli.Start("extract", "--input", At("blocked"), "--out", output, "--per-class", "5");
        var open = Task.Run(() => new FileStream(At("blocked.csv"), FileMode.Open, FileAccess.Write));
        Assert.True(open.Wait(TimeSpan.FromSeconds(120)), "the child never opened its CSV");
        var pipe = open.Result;
        pipe.Write(Encoding.UTF8.GetBytes(string.Join(',', SteadCsv.Columns) + "\n"));
        pipe.Flush();
        var partial = $".{Path.GetFileName(output)}.quakeprune-partial-{child.Id}";
        var clock = Stopwatch.StartNew();
        while (!Directory.Exists(At(partial)) && clock.Elapsed < TimeSpan.FromSeconds(60))
            Thread.Sleep(50);
        Assert.True(Directory.Exists(At(partial)), $"no partial folder {partial}");
        return (child, pipe);
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public void A_terminating_signal_stops_a_run_and_leaves_no_partial_file(string signal, int code)
    {
        var (child, pipe) = BlockedExtract(At("out"));
        using (child)
        using (pipe)
        {
            ChildCli.Signal(child, signal);
            var run = ChildCli.Finish(child, 120);
            Assert.Equal(code, run.Code);
            Assert.Contains($"SIG{signal}", run.Err);
        }
        Assert.DoesNotContain(Entries(), e => e.Contains("partial", StringComparison.Ordinal) || e == "out");
    }

    [Fact]
    public void Partial_files_of_a_killed_run_are_recognisable_and_removed_by_the_next_run()
    {
        var (child, pipe) = BlockedExtract(At("out"));
        var pid = child.Id;
        using (child)
        using (pipe)
        {
            ChildCli.Signal(child, "KILL");
            child.WaitForExit();
        }
        var leftover = $".out.quakeprune-partial-{pid}";
        Assert.Contains(leftover, Entries());
        Ok(CliRunner.Run("extract", "--input", At("syn"), "--out", At("other"), "--per-class", "5"));
        Assert.Equal(
            ["blocked.csv", "blocked.hdf5", "other", "syn.csv", "syn.hdf5"],
            Entries().Where(e => !e.EndsWith(".quakeprune-lock", StringComparison.Ordinal))
        );
        Ok(CliRunner.Run("extract", "--input", At("syn"), "--out", At("out"), "--per-class", "5"));
        Assert.Equal(["blocked.csv", "blocked.hdf5", "other", "out", "syn.csv", "syn.hdf5"], Entries());
    }

    // ---- 4. bounded numeric options, no NaN, thresholds in [0, 1], no overflow escaping

    [Theory]
    [InlineData("--nfft", "100000000", "--nfft")]
    [InlineData("--size", "100000x100000", "--size")]
    [InlineData("--threads", "0", "--threads")]
    [InlineData("--taper", "NaN", "--taper")]
    public void Spectrogram_options_out_of_bounds_are_refused_at_once(string option, string value, string expected)
    {
        // Refused before any input is opened (the subset does not exist, and the message names the option, not it) and
        // before anything is written: no work that an nfft of 10^8 could make take minutes has begun.
        Refused(CliRunner.Run("spectrogram", "--subset", At("none"), "--out", At("s.h5"), option, value), expected);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Theory]
    [InlineData("extract", "--per-class", "0")]
    [InlineData("extract", "--split", "NaN,0,1")]
    [InlineData("extract", "--magnitude", "NaN:3")]
    [InlineData("predict", "--threshold", "NaN")]
    [InlineData("predict", "--threshold", "2")]
    [InlineData("predict", "--threshold", "-1")]
    [InlineData("prune", "--round-to", "0")]
    [InlineData("prune", "--min-keep", "1000000")]
    [InlineData("prune", "--ratio", "NaN")]
    [InlineData("train", "--batch", "1000000")]
    [InlineData("train", "--lr", "NaN")]
    [InlineData("train", "--epochs", "0")]
    public void Out_of_range_and_NaN_values_are_refused_naming_the_option(string verb, string option, string value)
    {
        var model = At("m.safetensors");
        File.WriteAllText(model, "x");
        string[] required = verb switch
        {
            "extract" => ["--input", At("none"), "--out", At("o")],
            "predict" => ["--model", model, "--data", At("none.h5"), "--out", At("p.csv")],
            "prune" => ["--model", model, "--out", At("p.safetensors")],
            "train" => ["--data", At("none.h5"), "--out", At("run")],
            _ => ["--model", model, "--data", At("none.h5"), "--out", At("s.csv")],
        };
        Refused(CliRunner.Run([verb, .. required, option, value]), option);
    }

    [Fact]
    public void A_safetensors_shape_too_large_for_any_file_is_a_clear_error()
    {
        var header = Encoding.UTF8.GetBytes(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,4]}}"
        );
        var path = At("huge.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0, 0, 0]);
        Refused(CliRunner.Run("model", "show", path), "huge.safetensors");
        Refused(CliRunner.Run("prune", "--model", path, "--out", At("p.safetensors")), "huge.safetensors");
    }

    // ---- 5. a damaged HDF5 never kills the process

    [Fact]
    public void A_damaged_hdf5_is_reported_not_a_crash()
    {
        var input = Synth();
        var bytes = File.ReadAllBytes(input + ".hdf5");
        Array.Clear(bytes, bytes.Length - 1024, 512);
        File.WriteAllBytes(At("damaged.hdf5"), bytes);
        File.Copy(input + ".csv", At("damaged.csv"));
        // In a child process: on a build without the guard, libhdf5's abort would take the test run down with it.
        var info = ChildCli.Run(300, "stead", "info", "--input", At("damaged"));
        Refused(info, "is damaged");
        Assert.Contains("damaged.hdf5", info.Err);
        var extract = ChildCli.Run(300, "extract", "--input", At("damaged"), "--out", At("o"), "--per-class", "5");
        Refused(extract, "is damaged");
        Assert.DoesNotContain(Entries(), e => e.Contains("partial", StringComparison.Ordinal) || e == "o");
    }

    // ---- 7. warnings when the result is smaller than asked; --skip-non-finite draws a replacement

    [Fact]
    public void A_result_smaller_than_asked_is_warned_about()
    {
        var input = Synth();
        var more = CliRunner.Run("extract", "--input", input, "--out", At("a"), "--per-class", "1000");
        Ok(more);
        Assert.Contains("warning: earthquakes: 30 traces in the inputs, fewer than the 1000 asked", more.Err);
        // No trace of a class asked for is no subset: refused, nothing written.
        var none = CliRunner.Run(
            "extract",
            "--input",
            input,
            "--out",
            At("b"),
            "--per-class",
            "5",
            "--min-snr-db",
            "900"
        );
        Refused(none, "extract: earthquakes: no trace matches the filters; no subset is written without them");
        Assert.DoesNotContain("b", Entries());
    }

    [Fact]
    public void Skip_non_finite_replaces_a_skipped_trace_with_another()
    {
        var input = Synth(traces: 80);
        Ok(CliRunner.Run("extract", "--input", input, "--out", At("first"), "--per-class", "10"));
        var victim = SteadCsv.ReadAll(Path.Combine(At("first"), "subset.csv")).First(r => r.IsEarthquake).TraceName;
        using (var file = H5File.Open(input + ".hdf5", writable: true))
        using (var data = file.OpenGroup("data"))
        using (var dataset = data.OpenDataset(victim))
        {
            var waveform = dataset.Read<float>();
            waveform[7] = float.NaN;
            dataset.Write<float>(waveform);
        }
        var run = CliRunner.Run(
            "extract",
            "--input",
            input,
            "--out",
            At("second"),
            "--per-class",
            "10",
            "--skip-non-finite"
        );
        Ok(run);
        Assert.Contains("skipped 1 with NaN/Inf", run.Out);
        var rows = SteadCsv.ReadAll(Path.Combine(At("second"), "subset.csv"));
        Assert.Equal(10, rows.Count(r => r.IsEarthquake));
        Assert.Equal(10, rows.Count(r => !r.IsEarthquake));
        Assert.DoesNotContain(rows, r => r.TraceName == victim);
    }

    // ---- 9. messages name the file, row or value, never .NET type names or raw HDF5 diagnostics

    [Fact]
    public void Messages_are_words_not_type_names_nor_library_diagnostics()
    {
        var parse = CliRunner.Run("extract", "--input", "x", "--out", At("o"), "--per-class", "abc");
        Refused(parse, "--per-class");
        Assert.Contains("a whole number", parse.Err);
        var input = Synth();
        var lines = File.ReadAllLines(input + ".csv");
        File.WriteAllLines(input + ".csv", [.. lines, lines[1]]);
        var duplicate = CliRunner.Run("extract", "--input", input, "--out", At("o"), "--per-class", "1000");
        Refused(duplicate, "appears twice");
        Assert.Contains("row 1 ", duplicate.Err);
        Assert.DoesNotContain("HDF5", duplicate.Err);
        Assert.DoesNotContain("partial", duplicate.Err);
    }
}
