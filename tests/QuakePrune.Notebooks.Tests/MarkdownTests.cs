using QuakePrune.Notebooks.Running;

namespace QuakePrune.Notebooks.Tests;

public class MarkdownTests
{
    [Theory]
    [InlineData("# Title *x*", "<h1 id=\"title-x\">Title <em>x</em></h1>\n")]
    [InlineData("one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>\n")]
    [InlineData("**bold** and `a_b*c` and snake_case_name", "<p><strong>bold</strong> and <code>a_b*c</code> and snake_case_name</p>\n")]
    [InlineData("[STEAD](https://github.com/smousavi05/STEAD_x_y) <b>", "<p><a href=\"https://github.com/smousavi05/STEAD_x_y\">STEAD</a> &lt;b&gt;</p>\n")]
    [InlineData("- a\n- b\n  - c\n- d", "<ul>\n<li>a</li>\n<li>b\n<ul>\n<li>c</li>\n</ul></li>\n<li>d</li>\n</ul>\n")]
    [InlineData("3. x\n4. y", "<ol start=\"3\">\n<li>x</li>\n<li>y</li>\n</ol>\n")]
    [InlineData("```csharp\nvar x = a < b;\n```", "<pre><code class=\"language-csharp\">var x = a &lt; b;</code></pre>\n")]
    [InlineData("| a | b |\n|---|--:|\n| 1 | 2 |", "<table>\n<thead><tr><th>a</th><th style=\"text-align:right\">b</th></tr></thead>\n<tbody>\n<tr><td>1</td><td style=\"text-align:right\">2</td></tr>\n</tbody>\n</table>\n")]
    [InlineData("> quoted\n\n---", "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n")]
    public void RendersTheCommonSubset(string markdown, string html) => Assert.Equal(html, Markdown.ToHtml(markdown));
}
