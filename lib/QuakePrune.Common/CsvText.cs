using CsvHelper;

namespace QuakePrune;

/// <summary>
/// The one CSV writer of the project (CsvHelper): RFC 4180 quoting of the fields that need it, '\n' line ends, spaces
/// and a leading '=' left alone, as pandas writes and reads them. Every CSV the project writes goes through it.
/// </summary>
public static class CsvText
{
    public static CsvWriterOptions Options =>
        new()
        {
            NewLine = "\n",
            Quoting = CsvQuoting.WhenNeeded,
            Injection = CsvInjection.None,
        };

    /// <summary>A whole CSV document: the header, then one line per row.</summary>
    public static string Write(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        using var text = new StringWriter();
        using (var csv = CsvWriter.Create(text, Options, leaveOpen: true))
        {
            csv.WriteRecord(header.ToArray());
            foreach (var row in rows)
                csv.WriteRecord(row.ToArray());
        }
        return text.ToString();
    }
}
