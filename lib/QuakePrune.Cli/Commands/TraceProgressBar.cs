using System.Globalization;
using QuakePrune.Extract;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// Progress over traces on stderr for extract and spectrogram: a redrawn bar on a terminal, a plain line every 10% when
/// stderr is a file or pipe.
/// </summary>
public sealed class TraceProgressBar(string verb) : IProgress<ExtractProgress>, IProgress<SpectrogramProgress>
{
    private readonly bool terminal = !Console.IsErrorRedirected;
    private int lastDecile = -1;

    /// <summary>Extraction first scans the metadata (total still unknown), then copies traces.</summary>
    public void Report(ExtractProgress p)
    {
        if (p.Total == 0)
        {
            if (terminal)
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\rscanning metadata: {p.Done} rows"));
            return;
        }
        Report(p.Done, p.Total, p.Elapsed);
    }

    public void Report(SpectrogramProgress p) => Report(p.Done, p.Total, p.Elapsed);

    private void Report(long done, long total, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        var fraction = total > 0 ? (double)done / total : 1;
        var rate = elapsed.TotalSeconds > 0 ? done / elapsed.TotalSeconds : 0;
        if (terminal)
        {
            var filled = (int)(fraction * 30);
            Console.Error.Write(
                string.Create(
                    c,
                    $"\r[{new string('#', filled)}{new string(' ', 30 - filled)}] {fraction, 4:P0} {done}/{total} {rate:F0} traces/s "
                )
            );
            if (done == total)
                Console.Error.WriteLine();
        }
        else if ((int)(fraction * 10) is var decile && decile > lastDecile)
        {
            lastDecile = decile;
            Console.Error.WriteLine(
                string.Create(c, $"{verb}: {done}/{total} traces ({fraction:P0}), {rate:F0} traces/s")
            );
        }
    }
}
