using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks;

public static class TableExtensions
{
    /// <summary>Rows as a table: one row per item, one column per public property or field of its type.</summary>
    public static Table ToTable<T>(this IEnumerable<T> rows, int maxRows = TableFormatter.DefaultMaxRows) =>
        TableFormatter.Format(rows, maxRows);

    /// <summary>
    /// Rows as a table with headers for people, one column per pair, in order: <c>rows.ToTable(("Variant", r =&gt;
    /// r.Variant), ("Latency, batch 1 (ms)", r =&gt; r.LatencyMs))</c>. The overload without columns heads each column
    /// with a property's C# name (<c>LatencyMs</c>), which is for exploring, not for a report.
    /// </summary>
    public static Table ToTable<T>(
        this IEnumerable<T> rows,
        params (string Header, Func<T, object?> Value)[] columns
    ) => TableFormatter.Format(rows, columns, TableFormatter.DefaultMaxRows);
}
