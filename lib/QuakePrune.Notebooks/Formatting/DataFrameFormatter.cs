using Microsoft.Data.Analysis;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>
/// A Microsoft.Data.Analysis DataFrame as a table: each column's name over its type, then the first rows.
/// </summary>
public static class DataFrameFormatter
{
    public const int MaxRows = 20;

    public static Table Format(DataFrame frame, int maxRows = MaxRows)
    {
        var columns = frame.Columns.ToList();
        var shown = (int)Math.Min(frame.Rows.Count, maxRows);
        var cells = Enumerable
            .Range(0, shown)
            .Select(row =>
                columns.Select(column => column[row] is { } value ? TableFormatter.PlainText(value) : "").ToArray()
            )
            .ToList();
        var remainder = frame.Rows.Count > shown ? $"({frame.Rows.Count - shown} more rows)" : "";
        return TableFormatter.Render(
            columns.Select(c => c.Name).ToArray(),
            columns.Select(c => TypeName(c.DataType)).ToArray(),
            cells,
            remainder
        );
    }

    /// <summary>C#'s name for a column type (double, string, DateTime...).</summary>
    static string TypeName(Type type) =>
        Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.Byte => "byte",
            TypeCode.SByte => "sbyte",
            TypeCode.Int16 => "short",
            TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int",
            TypeCode.UInt32 => "uint",
            TypeCode.Int64 => "long",
            TypeCode.UInt64 => "ulong",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Decimal => "decimal",
            TypeCode.Char => "char",
            TypeCode.String => "string",
            _ => type.Name,
        };
}
