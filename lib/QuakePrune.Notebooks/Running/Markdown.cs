using Markdig;
using Markdig.Extensions.AutoIdentifiers;

namespace QuakePrune.Notebooks.Running;

/// <summary>
/// Markdown to HTML for notebook text cells and <c>text/markdown</c> outputs, by Markdig (CommonMark) rather than a
/// renderer of our own: what Jupyter and VS Code show for a cell is CommonMark plus GitHub's tables, and the report
/// should agree with them on the corner cases (nested lists, emphasis inside words, escapes) that a hand-written
/// subset gets wrong.
/// </summary>
public static class Markdown
{
    /// <summary>
    /// Built once: a pipeline is immutable and safe to share between threads. Pipe tables and the emphasis extras
    /// (strike-through, sub- and superscript, inserted, marked) are what notebook authors write beyond CommonMark;
    /// headings get GitHub's ids, so a link to <c>#results</c> works in the report as it does on GitHub. Raw HTML is
    /// escaped, not passed through: a page made from a notebook shows its text, never runs its markup.
    /// </summary>
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub)
        .DisableHtml()
        .Build();

    public static string ToHtml(string markdown) => Markdig.Markdown.ToHtml(markdown, Pipeline);
}
