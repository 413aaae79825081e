using System.Text.RegularExpressions;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Running;

namespace QuakePrune.Notebooks.Tests;

public class MarkdownTests
{
    /// <summary>
    /// The rendering without the line breaks next to tags: what is asserted is the markup, not its layout.
    /// </summary>
    static string Html(string markdown) => Regex.Replace(Markdown.ToHtml(markdown), @"(?<=>)\n|\n(?=<)", "").Trim();

    [Theory]
    [InlineData("# Title *x*", "<h1 id=\"title-x\">Title <em>x</em></h1>")]
    [InlineData("one\ntwo\n\nthree", "<p>one\ntwo</p><p>three</p>")]
    [InlineData(
        "**bold** and `a_b*c` and snake_case_name",
        "<p><strong>bold</strong> and <code>a_b*c</code> and snake_case_name</p>"
    )]
    [InlineData(
        "[STEAD](https://github.com/smousavi05/STEAD_x_y) <b>",
        "<p><a href=\"https://github.com/smousavi05/STEAD_x_y\">STEAD</a> &lt;b&gt;</p>"
    )]
    [InlineData("- a\n- b\n  - c\n- d", "<ul><li>a</li><li>b<ul><li>c</li></ul></li><li>d</li></ul>")]
    [InlineData("3. x\n4. y", "<ol start=\"3\"><li>x</li><li>y</li></ol>")]
    [InlineData("> quoted\n\n---", "<blockquote><p>quoted</p></blockquote><hr />")]
    public void Renders_the_common_subset(string markdown, string html) => Assert.Equal(html, Html(markdown));

    [Fact]
    public void Fenced_code_keeps_its_language_and_is_escaped() =>
        Assert.StartsWith(
            "<pre><code class=\"language-csharp\">var x = a &lt; b;",
            Html("```csharp\nvar x = a < b;\n```")
        );

    [Fact]
    public void Pipe_tables_render_as_tables_with_their_alignment()
    {
        var html = Html("| a | b |\n|---|--:|\n| 1 | 2 |");
        Assert.Matches(
            "^<table><thead><tr><th>a</th><th style=\"[^\"]*\">b</th></tr></thead><tbody><tr><td>1</td><td style=\"[^\"]*\">2</td></tr></tbody></table>$",
            html
        );
        Assert.Equal(2, Regex.Matches(html, @"style=""text-align:\s*right;?""").Count);
    }

    /// <summary>A page made from a notebook shows the markup a cell holds as text; it never runs it.</summary>
    [Fact]
    public void Raw_html_is_escaped()
    {
        var html = Html(
            "<div class=\"x\">\n<script>alert(1)</script>\n</div>\n\ninline <img src=x onerror=alert(1)> too"
        );
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<div", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("inline &lt;img src=x onerror=alert(1)&gt; too", html);
    }

    /// <summary>The emphasis extras, and a tilde that means "about" left as it is.</summary>
    [Fact]
    public void Emphasis_extras() =>
        Assert.Equal(
            "<p><del>gone</del>, x<sup>2</sup>, H<sub>2</sub>O, about ~0.5 s to ~2 s</p>",
            Html("~~gone~~, x^2^, H~2~O, about ~0.5 s to ~2 s")
        );

    /// <summary>
    /// Headings carry the ids GitHub gives them, so a link to a section works in the report as it does there.
    /// </summary>
    [Theory]
    [InlineData("## Results", "<h2 id=\"results\">Results</h2>")]
    [InlineData(
        "# 04 · L2-norm pruning at 50, 70 and 90 %",
        "<h1 id=\"04--l2-norm-pruning-at-50-70-and-90-\">04 · L2-norm pruning at 50, 70 and 90 %</h1>"
    )]
    public void Headings_get_git_hub_ids(string markdown, string html) => Assert.Equal(html, Html(markdown));

    /// <summary>
    /// Real cells, as the report renders them: notebook 01's introduction (a title, strong lead-ins, code spans holding
    /// angle brackets, emphasis) and notebook 07's list of the study's two choices. No study notebook's text has a pipe
    /// table; the table case is the one above.
    /// </summary>
    [Fact]
    public void Renders_the_study_notebooks_text()
    {
        var notebooks = Path.Combine(StudyRuns.RepositoryRoot(), "notebooks");
        string FirstMarkdown(string notebook, string startsWith) =>
            NotebookDocument
                .Load(Path.Combine(notebooks, notebook))
                .Cells.First(c => c.CellType == "markdown" && c.Text.StartsWith(startsWith, StringComparison.Ordinal))
                .Text;

        var intro = Html(FirstMarkdown("01-stead-subset.ipynb", "# 01"));
        Assert.StartsWith(
            "<h1 id=\"01--a-stead-subset-earthquakes-and-noise-split-without-leaks\">01 · A STEAD subset:",
            intro
        );
        Assert.Contains("<p><strong>What this step does.</strong> STEAD", intro);
        Assert.Contains("to <code>runs/&lt;preset&gt;/subset/</code>.</p>", intro);
        Assert.Contains("writes <em>synthetic</em> STEAD first", intro);
        Assert.Equal(4, Regex.Matches(intro, "<p><strong>").Count);

        var training = Html(FirstMarkdown("07-eqtransformer.ipynb", "## Training"));
        Assert.Contains(
            "<ul><li><strong>The loss is taken on the logits</strong> (the values before each sigmoid).",
            training
        );
        Assert.Equal(2, Regex.Matches(training, "<li>").Count);
        Assert.Contains("</li></ul><p>The networks train two at a time", training);
    }
}
