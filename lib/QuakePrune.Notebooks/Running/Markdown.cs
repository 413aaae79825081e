using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace QuakePrune.Notebooks.Running;

/// <summary>
/// Markdown to HTML for notebook text cells: the common subset (ATX headings, paragraphs, nested bullet and
/// numbered lists, fenced code, block quotes, rules, pipe tables; code spans, emphasis, strong, strike-through,
/// links, images, autolinks, hard breaks). Raw HTML in the text is escaped, not passed through.
/// </summary>
public static partial class Markdown
{
    public static string ToHtml(string markdown)
    {
        var html = new StringBuilder();
        RenderBlocks(markdown.Replace("\r\n", "\n").Split('\n'), html);
        return html.ToString();
    }

    static void RenderBlocks(IReadOnlyList<string> lines, StringBuilder html)
    {
        var i = 0;
        var paragraph = new List<string>();
        void FlushParagraph()
        {
            if (paragraph.Count == 0) return;
            html.Append("<p>").Append(Inline(string.Join("\n", paragraph).Trim())).Append("</p>\n");
            paragraph.Clear();
        }

        while (i < lines.Count)
        {
            var line = lines[i];
            var trimmed = line.TrimStart();
            if (trimmed.Length == 0)
            {
                FlushParagraph();
                i++;
                continue;
            }
            if (FenceRegex().Match(line) is { Success: true } fence)
            {
                FlushParagraph();
                var marker = fence.Groups["fence"].Value;
                var language = fence.Groups["lang"].Value.Trim();
                var code = new List<string>();
                i++;
                while (i < lines.Count && !lines[i].TrimStart().StartsWith(marker, StringComparison.Ordinal)) code.Add(lines[i++]);
                i++;
                html.Append("<pre><code").Append(language.Length > 0 ? $" class=\"language-{WebUtility.HtmlEncode(language)}\"" : "")
                    .Append('>').Append(WebUtility.HtmlEncode(string.Join("\n", code))).Append("</code></pre>\n");
                continue;
            }
            if (HeadingRegex().Match(line) is { Success: true } heading)
            {
                FlushParagraph();
                var level = heading.Groups["hashes"].Value.Length;
                var text = heading.Groups["text"].Value.Trim().TrimEnd('#').TrimEnd();
                html.Append($"<h{level} id=\"{Slug(text)}\">").Append(Inline(text)).Append($"</h{level}>\n");
                i++;
                continue;
            }
            if (RuleRegex().IsMatch(line))
            {
                FlushParagraph();
                html.Append("<hr>\n");
                i++;
                continue;
            }
            if (trimmed.StartsWith('>'))
            {
                FlushParagraph();
                var quoted = new List<string>();
                while (i < lines.Count && lines[i].TrimStart().StartsWith('>'))
                {
                    var q = lines[i].TrimStart()[1..];
                    quoted.Add(q.StartsWith(' ') ? q[1..] : q);
                    i++;
                }
                html.Append("<blockquote>\n");
                RenderBlocks(quoted, html);
                html.Append("</blockquote>\n");
                continue;
            }
            if (line.Contains('|') && i + 1 < lines.Count && TableSeparatorRegex().IsMatch(lines[i + 1]))
            {
                FlushParagraph();
                i = RenderTable(lines, i, html);
                continue;
            }
            if (ListItemRegex().IsMatch(line))
            {
                FlushParagraph();
                i = RenderList(lines, i, html);
                continue;
            }
            paragraph.Add(line);
            i++;
        }
        FlushParagraph();
    }

    static int RenderList(IReadOnlyList<string> lines, int i, StringBuilder html)
    {
        var first = ListItemRegex().Match(lines[i]);
        var ordered = char.IsDigit(first.Groups["marker"].Value[0]);
        var indent = first.Groups["indent"].Value.Length;
        var start = ordered ? int.Parse(first.Groups["marker"].Value.TrimEnd('.', ')'), System.Globalization.CultureInfo.InvariantCulture) : 1;
        html.Append(ordered ? (start == 1 ? "<ol>\n" : $"<ol start=\"{start}\">\n") : "<ul>\n");
        while (i < lines.Count)
        {
            var item = ListItemRegex().Match(lines[i]);
            if (!item.Success || item.Groups["indent"].Value.Length != indent || char.IsDigit(item.Groups["marker"].Value[0]) != ordered) break;
            var contentIndent = item.Groups["indent"].Value.Length + item.Groups["marker"].Value.Length + 1;
            var content = new List<string> { item.Groups["text"].Value };
            i++;
            while (i < lines.Count)
            {
                var next = lines[i];
                if (next.Trim().Length == 0)
                {
                    // A blank line ends the item unless indented content follows it.
                    if (i + 1 < lines.Count && LeadingSpaces(lines[i + 1]) >= contentIndent) { content.Add(""); i++; continue; }
                    break;
                }
                if (LeadingSpaces(next) > indent && (LeadingSpaces(next) >= contentIndent || ListItemRegex().IsMatch(next)))
                {
                    content.Add(next[Math.Min(LeadingSpaces(next), contentIndent)..]);
                    i++;
                    continue;
                }
                if (LeadingSpaces(next) <= indent && (ListItemRegex().IsMatch(next) || IsBlockStart(next))) break;
                content.Add(next.TrimStart());
                i++;
            }
            var inner = new StringBuilder();
            RenderBlocks(content, inner);
            var rendered = inner.ToString();
            if (rendered.StartsWith("<p>", StringComparison.Ordinal) && rendered.IndexOf("</p>", StringComparison.Ordinal) is var end && end >= 0)
                rendered = rendered[3..end] + rendered[(end + 4)..];
            html.Append("<li>").Append(rendered.TrimEnd('\n')).Append("</li>\n");
            while (i < lines.Count && lines[i].Trim().Length == 0 && i + 1 < lines.Count && ListItemRegex().Match(lines[i + 1]) is { Success: true } m
                   && m.Groups["indent"].Value.Length == indent) i++;
        }
        html.Append(ordered ? "</ol>\n" : "</ul>\n");
        return i;
    }

    static bool IsBlockStart(string line) =>
        HeadingRegex().IsMatch(line) || FenceRegex().IsMatch(line) || RuleRegex().IsMatch(line) || line.TrimStart().StartsWith('>');

    static int RenderTable(IReadOnlyList<string> lines, int i, StringBuilder html)
    {
        var header = SplitRow(lines[i]);
        var alignments = SplitRow(lines[i + 1]).Select(c => c.Trim() switch
        {
            var s when s.StartsWith(':') && s.EndsWith(':') => " style=\"text-align:center\"",
            var s when s.EndsWith(':') => " style=\"text-align:right\"",
            var s when s.StartsWith(':') => " style=\"text-align:left\"",
            _ => "",
        }).ToList();
        string Align(int column) => column < alignments.Count ? alignments[column] : "";
        html.Append("<table>\n<thead><tr>");
        for (var c = 0; c < header.Count; c++) html.Append($"<th{Align(c)}>").Append(Inline(header[c])).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        i += 2;
        while (i < lines.Count && lines[i].Contains('|') && lines[i].Trim().Length > 0)
        {
            var cells = SplitRow(lines[i]);
            html.Append("<tr>");
            for (var c = 0; c < header.Count; c++) html.Append($"<td{Align(c)}>").Append(c < cells.Count ? Inline(cells[c]) : "").Append("</td>");
            html.Append("</tr>\n");
            i++;
        }
        html.Append("</tbody>\n</table>\n");
        return i;
    }

    static List<string> SplitRow(string line)
    {
        var row = line.Trim();
        if (row.StartsWith('|')) row = row[1..];
        if (row.EndsWith('|') && !row.EndsWith("\\|", StringComparison.Ordinal)) row = row[..^1];
        return EscapedPipeSplitRegex().Split(row).Select(c => c.Replace("\\|", "|", StringComparison.Ordinal).Trim()).ToList();
    }

    /// <summary>Inline markup. Code spans and link targets are set aside first so emphasis never reaches inside them.</summary>
    public static string Inline(string text)
    {
        var held = new List<string>();
        string Hold(string html)
        {
            held.Add(html);
            return $"\u0001{held.Count - 1}\u0002";
        }

        text = CodeSpanRegex().Replace(text, m => Hold($"<code>{WebUtility.HtmlEncode(m.Groups["code"].Value.Trim())}</code>"));
        text = ImageRegex().Replace(text, m => Hold($"<img src=\"{Attribute(m.Groups["url"].Value)}\" alt=\"{Attribute(m.Groups["text"].Value)}\">"));
        text = LinkRegex().Replace(text, m => Hold($"<a href=\"{Attribute(m.Groups["url"].Value)}\">") + m.Groups["text"].Value + Hold("</a>"));
        text = AutoLinkRegex().Replace(text, m => Hold($"<a href=\"{Attribute(m.Groups["url"].Value)}\">{WebUtility.HtmlEncode(m.Groups["url"].Value)}</a>"));
        text = EscapedCharRegex().Replace(text, m => Hold(WebUtility.HtmlEncode(m.Groups["c"].Value)));
        text = WebUtility.HtmlEncode(text);
        text = StrongRegex().Replace(text, "<strong>${text}</strong>");
        text = EmphasisRegex().Replace(text, "<em>${text}</em>");
        text = StrikeRegex().Replace(text, "<del>${text}</del>");
        text = HardBreakRegex().Replace(text, "<br>\n");
        return HeldRegex().Replace(text, m => held[int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)]);
    }

    static string Attribute(string value) => WebUtility.HtmlEncode(value.Trim());

    static int LeadingSpaces(string line) => line.Length - line.TrimStart(' ').Length;

    static string Slug(string text) =>
        string.Join("-", SlugWordRegex().Matches(text.ToLowerInvariant()).Select(m => m.Value));

    [GeneratedRegex(@"^\s{0,3}(?<fence>```|~~~)(?<lang>.*)$")]
    private static partial Regex FenceRegex();
    [GeneratedRegex(@"^\s{0,3}(?<hashes>#{1,6})\s+(?<text>.*)$")]
    private static partial Regex HeadingRegex();
    [GeneratedRegex(@"^\s{0,3}([-*_])(\s*\1){2,}\s*$")]
    private static partial Regex RuleRegex();
    [GeneratedRegex(@"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")]
    private static partial Regex TableSeparatorRegex();
    [GeneratedRegex(@"^(?<indent> *)(?<marker>[-*+]|\d{1,9}[.)])\s+(?<text>.*)$")]
    private static partial Regex ListItemRegex();
    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex EscapedPipeSplitRegex();
    [GeneratedRegex(@"(?<ticks>`+)(?<code>.+?)\k<ticks>")]
    private static partial Regex CodeSpanRegex();
    [GeneratedRegex(@"!\[(?<text>[^\]]*)\]\((?<url>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex ImageRegex();
    [GeneratedRegex(@"\[(?<text>[^\]]+)\]\((?<url>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex LinkRegex();
    [GeneratedRegex(@"<(?<url>https?://[^>\s]+)>")]
    private static partial Regex AutoLinkRegex();
    [GeneratedRegex(@"\\(?<c>[\\`*_{}\[\]()#+\-.!|~<>])")]
    private static partial Regex EscapedCharRegex();
    [GeneratedRegex(@"(\*\*|__)(?=\S)(?<text>.+?)(?<=\S)\1")]
    private static partial Regex StrongRegex();
    [GeneratedRegex(@"(?<![\w*])(\*|_)(?=\S)(?<text>.+?)(?<=\S)\1(?![\w*])")]
    private static partial Regex EmphasisRegex();
    [GeneratedRegex(@"~~(?=\S)(?<text>.+?)(?<=\S)~~")]
    private static partial Regex StrikeRegex();
    [GeneratedRegex(@"( {2,}|\\)\n")]
    private static partial Regex HardBreakRegex();
    [GeneratedRegex("\u0001(?<n>\\d+)\u0002")]
    private static partial Regex HeldRegex();
    [GeneratedRegex(@"[\p{L}\p{N}_]+")]
    private static partial Regex SlugWordRegex();
}
