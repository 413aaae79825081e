using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks;

public static class TableExtensions
{
    /// <summary>Rows as a table: one row per item, one column per public property or field of its type.</summary>
    public static Table ToTable<T>(this IEnumerable<T> rows, int maxRows = TableFormatter.DefaultMaxRows) => TableFormatter.Format(rows, maxRows);
}
