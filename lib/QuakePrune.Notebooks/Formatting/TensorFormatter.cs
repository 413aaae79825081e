using System.Globalization;
using System.Net;
using System.Text;
using QuakePrune.Torch;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>
/// A tensor as a notebook shows it: shape, dtype and device, then its values when a vector or matrix is small enough to
/// read, else their minimum, mean and maximum.
/// </summary>
public static class TensorFormatter
{
    public const int MaxShownValues = 400;

    public static (string PlainText, string Html) Format(Tensor tensor)
    {
        var header = tensor.ToString();
        var headerHtml = $"<code>{WebUtility.HtmlEncode(header)}</code>";
        if (tensor.IsDisposed || tensor.numel() == 0)
            return (header, $"<div>{headerHtml}</div>");
        double[] values;
        using (var detached = tensor.detach())
        using (var host = detached.cpu())
        using (var wide = host.to(ScalarType.Float64))
            values = wide.ToArray<double>();
        var shape = tensor.shape;
        if (shape.Length > 2 || values.Length > MaxShownValues)
        {
            var finite = values.Where(double.IsFinite).ToArray();
            var summary =
                finite.Length == 0
                    ? "no finite values"
                    : string.Create(
                        CultureInfo.InvariantCulture,
                        $"min {finite.Min():G6}, mean {finite.Average():G6}, max {finite.Max():G6}"
                    ) + (finite.Length < values.Length ? $", {values.Length - finite.Length} not finite" : "");
            return ($"{header}\n{summary}", $"<div>{headerHtml}<pre>{WebUtility.HtmlEncode(summary)}</pre></div>");
        }
        var columns = shape.Length == 2 ? (int)shape[1] : values.Length;
        var rows = values.Length / columns;
        var text = new StringBuilder(header);
        var html = new StringBuilder($"<div>{headerHtml}<table class=\"qp-table\">");
        for (var r = 0; r < rows; r++)
        {
            var cells = Enumerable
                .Range(0, columns)
                .Select(c => values[r * columns + c].ToString("G6", CultureInfo.InvariantCulture))
                .ToArray();
            text.Append('\n').Append(string.Join("  ", cells));
            html.Append("<tr>").Append(string.Concat(cells.Select(c => $"<td>{c}</td>"))).Append("</tr>");
        }
        html.Append("</table></div>");
        return (text.ToString(), html.ToString());
    }
}
