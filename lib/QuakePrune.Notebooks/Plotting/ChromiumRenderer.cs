using System.Diagnostics;

namespace QuakePrune.Notebooks.Plotting;

/// <summary>
/// Screenshots an HTML page with headless Chromium (Debian's /usr/bin/chromium, or QUAKEPRUNE_CHROMIUM),
/// offline: a fresh profile, no background networking, no updates, no sync, and every host name unresolvable, so a
/// page that would fetch anything (a CDN script) draws without it, as it would on a machine with no network.
/// </summary>
public static class ChromiumRenderer
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static string Executable =>
        Environment.GetEnvironmentVariable("QUAKEPRUNE_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : "/usr/bin/chromium";

    public static byte[] Screenshot(string html, int width, int height)
    {
        if (!File.Exists(Executable))
            throw new FileNotFoundException(
                $"Chromium not found at {Executable}: install Debian's chromium (environment/setup.sh) or set QUAKEPRUNE_CHROMIUM",
                Executable
            );
        var work = Directory.CreateTempSubdirectory("quakeprune-chromium-");
        try
        {
            var page = Path.Combine(work.FullName, "figure.html");
            var png = Path.Combine(work.FullName, "figure.png");
            File.WriteAllText(page, html);
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (
                var argument in (string[])
                    [
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--hide-scrollbars",
                        "--host-resolver-rules=MAP * ~NOTFOUND",
                        $"--user-data-dir={Path.Combine(work.FullName, "profile")}",
                        $"--window-size={width},{height}",
                        "--virtual-time-budget=10000",
                        $"--screenshot={png}",
                        new Uri(page).AbsoluteUri,
                    ]
            )
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)
                ?? throw new InvalidOperationException($"could not start {Executable}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Executable} did not render the figure within {Timeout.TotalSeconds} s");
            }
            Task.WaitAll(stderr, stdout);
            if (process.ExitCode != 0 || !File.Exists(png))
                throw new InvalidOperationException(
                    $"{Executable} failed to render the figure (exit {process.ExitCode}): {stderr.Result.Trim()}"
                );
            return File.ReadAllBytes(png);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
