using QuakePrune.Models;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// Issue 24, rule 4: a signal at any moment of training (the classifier's on spectrograms, the picker's on waveforms)
/// ends with 128 + the signal, no native fault, a message that says what was kept, and a run that --resume continues.
/// Each trainer is interrupted a few times at seeded pseudo-random moments, each time resumed from what it kept.
/// </summary>
public sealed class TrainingInterruptTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-interrupt-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string File(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    private string Subset()
    {
        Ok(CliRunner.Run("synth", "--out", File("syn"), "--traces", "60", "--seed", "5"));
        Ok(CliRunner.Run("extract", "--input", File("syn"), "--out", File("subset"), "--per-class", "20"));
        return File("subset");
    }

    [Fact]
    public void A_signal_at_any_moment_of_picker_training_keeps_the_finished_epochs_and_resume_continues()
    {
        var subset = Subset();
        Interrupt(
            [
                "train",
                "--arch",
                "eqt-lite",
                "--data",
                subset,
                "--out",
                File("picker"),
                "--epochs",
                "400",
                "--patience",
                "0",
                "--batch",
                "8",
                "--threads",
                "2",
            ],
            File("picker"),
            new Random(24)
        );
    }

    [Fact]
    public void A_signal_at_any_moment_of_spectrogram_training_keeps_the_finished_epochs_and_resume_continues()
    {
        Ok(
            CliRunner.Run(
                "spectrogram",
                "--subset",
                Subset(),
                "--out",
                File("spec.h5"),
                "--size",
                "32x32",
                "--threads",
                "2"
            )
        );
        // A small ResNet: a fresh ResNet50 would make each epoch slow.
        var architecture = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
            ],
            hidden: 8
        );
        using (var model = new Network(architecture))
            Checkpoint.Save(
                model,
                new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
                File("tiny.safetensors")
            );
        Interrupt(
            [
                "train",
                "--data",
                File("spec.h5"),
                "--out",
                File("classifier"),
                "--init",
                File("tiny.safetensors"),
                "--epochs",
                "5000",
                "--patience",
                "0",
                "--batch",
                "8",
                "--threads",
                "1",
            ],
            File("classifier"),
            new Random(42)
        );
    }

    /// <summary>
    /// Runs <paramref name="train"/> four times, each (but the first) resuming what the last kept, and signals each at
    /// a pseudo-random moment: the first while it may still be starting, the others after an epoch of theirs has
    /// finished.
    /// </summary>
    private static void Interrupt(string[] train, string folder, Random random)
    {
        (string Name, int Number)[] signals = [("INT", 2), ("TERM", 15), ("HUP", 1), ("INT", 2)];
        var kept = 0;
        for (var attempt = 0; attempt < signals.Length; attempt++)
        {
            var (signal, number) = signals[attempt];
            string[] args = kept > 0 ? [.. train, "--resume"] : train;
            var afterAnEpoch = attempt > 0;
            var (code, err) = ChildCli.RunAndSignal(
                args,
                signal,
                afterAnEpoch ? "epoch " : null,
                random.Next(afterAnEpoch ? 0 : 500, 2500)
            );
            var context = $"attempt {attempt + 1}, SIG{signal}: exit {code}\n{err}";
            Assert.True(code == 128 + number, context);
            // " fault" (a segmentation or page fault), not "fault": "default" may appear in a run's own lines.
            foreach (
                var fault in new[]
                {
                    "Segmentation",
                    " fault",
                    "core dumped",
                    "Exception",
                    "libtorch",
                    "backend fallback",
                    "   at ",
                }
            )
                Assert.False(err.Contains(fault, StringComparison.Ordinal), context);
            Assert.True(
                System.Text.RegularExpressions.Regex.IsMatch(err, $"train: (interrupted|stopped) by SIG{signal} "),
                context
            );

            var history = Path.Combine(folder, "history.csv");
            var written = System.IO.File.Exists(history) ? System.IO.File.ReadAllLines(history).Length - 1 : 0;
            var said = System.Text.RegularExpressions.Regex.Match(
                err,
                @"at epoch (\d+): the training state and history of epoch (\d+) "
            );
            if (!said.Success)
            {
                Assert.True(kept == 0, context);
                // Before the trainer has begun (a loaded machine may take the whole delay to start) the verb says it
                // published nothing; once it has, that no epoch had finished. Both are true; which one comes is timing.
                Assert.True(
                    err.Contains(
                        "at epoch 1, before any epoch had finished; nothing was kept",
                        StringComparison.Ordinal
                    ) || err.Contains("; nothing was published", StringComparison.Ordinal),
                    context
                );
                Assert.False(Directory.Exists(folder), context);
                continue;
            }
            // The message names the epoch whose state was saved last; a stop forced while the next state was being
            // saved may find history.csv one row ahead of it (resume reads history up to the state's epoch), never
            // behind.
            var epochs = int.Parse(said.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(written == epochs || written == epochs + 1, context);
            // A resumed run that was signalled after one of its epochs has continued the run.
            Assert.True(afterAnEpoch && kept > 0 ? epochs > kept : epochs >= kept, context);
            Assert.Contains(
                $"at epoch {epochs + 1}: the training state and history of epoch {epochs} and the best model so far are kept in '{folder}'; "
                    + "--resume continues",
                err
            );
            foreach (var name in new[] { "model.safetensors", "state.safetensors", "history.csv" })
                Assert.True(System.IO.File.Exists(Path.Combine(folder, name)), $"{name} missing; {context}");
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(folder), e =>
                e.Contains("partial", StringComparison.Ordinal)
            );
            kept = epochs;
        }
        Assert.True(kept > 0, "no epoch ever finished");
    }
}
