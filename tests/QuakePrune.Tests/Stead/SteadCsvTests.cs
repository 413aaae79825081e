using QuakePrune.Stead;

namespace QuakePrune.Tests.Stead;

public class SteadCsvTests
{
    internal static string DataFile(string name) => Path.Combine(AppContext.BaseDirectory, "Data", name);

    [Fact]
    public void Real_rows_parse_into_typed_fields()
    {
        var rows = SteadCsv.ReadAll(DataFile("stead-100samples.csv"));
        Assert.Equal(100, rows.Count);
        var first = rows[0];
        Assert.Equal("TA", first.NetworkCode);
        Assert.Equal("109C", first.ReceiverCode);
        Assert.Equal("BH", first.ReceiverType);
        Assert.Equal(32.8889, first.ReceiverLatitude);
        Assert.Equal(150.0, first.ReceiverElevationM);
        Assert.Equal(700.0, first.PArrivalSample);
        Assert.Equal("manual", first.PStatus);
        Assert.Equal(17.0799999237, first.PTravelSec);
        Assert.Equal("8556349", first.SourceId);
        Assert.Equal(new DateTime(2006, 7, 23, 15, 58, 50, 880, DateTimeKind.Utc), first.SourceOriginTime);
        Assert.Equal(DateTimeKind.Utc, first.SourceOriginTime!.Value.Kind);
        Assert.Null(first.SourceDepthUncertaintyKm);
        Assert.Null(first.SourceMagnitudeAuthor);
        Assert.Equal(3.6, first.SourceMagnitude);
        Assert.Equal("ml", first.SourceMagnitudeType);
        Assert.Equal([56.79999924, 55.40000153, 47.40000153], first.SnrDb!);
        Assert.Equal(2896.0, first.CodaEndSample);
        Assert.Equal(new DateTime(2006, 7, 23, 15, 59, 0, 960, DateTimeKind.Utc), first.TraceStartTime);
        Assert.Equal(TraceCategory.EarthquakeLocal, first.TraceCategory);
        Assert.Equal("109C.TA_20060723155859_EV", first.TraceName);
        Assert.All(rows, r => Assert.Equal(3, r.SnrDb!.Length));
        Assert.All(rows, r => Assert.NotNull(r.CodaEndSample));
        Assert.Contains(rows, r => r.SourceDepthUncertaintyKm == 0.77);
        Assert.Contains(rows, r => r.SStatus == "autopicker");
    }

    [Fact]
    public void Real_rows_write_back_byte_for_byte()
    {
        var path = DataFile("stead-100samples.csv");
        var rows = SteadCsv.ReadAll(path);
        var written = new StringWriter();
        using (var writer = new SteadCsvWriter(written, []))
            foreach (var row in rows)
                writer.Write(row);
        var expected = File.ReadAllText(path).Replace("\r\n", "\n");
        var expectedLines = expected.TrimEnd('\n').Split('\n');
        var actualLines = written.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal(expectedLines.Length, actualLines.Length);
        for (var i = 0; i < expectedLines.Length; i++)
            Assert.Equal(expectedLines[i], actualLines[i]);
    }

    [Theory]
    [InlineData(new[] { 56.79999924, 55.40000153, 47.40000153 }, "[ 56.79999924  55.40000153  47.40000153]")]
    [InlineData(new[] { 65.0, 65.5, 61.40000153 }, "[ 65.          65.5         61.40000153]")]
    [InlineData(new[] { 1.0, 2.5, 3.0 }, "[ 1.   2.5  3. ]")]
    [InlineData(new[] { -2.5, 10.25, 7.0 }, "[ -2.5   10.25   7.  ]")]
    [InlineData(new[] { 100.0, 5.0, 7.0 }, "[ 100.    5.    7.]")]
    public void Snr_arrays_print_as_numpy_did(double[] values, string expected)
    {
        Assert.Equal(expected, SteadText.FormatNumpyArray(values));
        Assert.Equal(values, SteadText.ParseArray(expected)!);
    }

    [Theory]
    [InlineData(700.0, "700.0")]
    [InlineData(17.0799999237, "17.0799999237")]
    [InlineData(0.5, "0.5")]
    [InlineData(-117.1051, "-117.1051")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(1.5e16, "1.5e+16")]
    [InlineData(0.0001, "0.0001")]
    public void Numbers_print_as_python_repr(double value, string expected)
    {
        Assert.Equal(expected, SteadText.PythonRepr(value));
        Assert.Equal(value, SteadText.ParseNumber(expected));
    }

    [Fact]
    public void Quirks_parse()
    {
        Assert.Null(SteadText.ParseNumber("None"));
        Assert.True(double.IsNaN(SteadText.ParseNumber("nan")!.Value));
        Assert.Equal(2896.0, SteadText.ParseNumber("[[ 2896.]]"));
        Assert.Equal("[[ 2896.]]", SteadText.FormatNumpy2D(2896.0));
        Assert.Null(SteadText.ParseArray("None"));
        Assert.Equal(
            new DateTime(2006, 7, 23, 15, 58, 50, 880, DateTimeKind.Utc),
            SteadText.ParseTime("2006-07-23 15:58:50.88")
        );
        Assert.Equal(
            new DateTime(2006, 7, 23, 15, 59, 0, 960, DateTimeKind.Utc),
            SteadText.ParseTime("2006-07-23 15:59:00.960000")
        );
        Assert.Equal(
            new DateTime(2006, 7, 23, 15, 59, 0, DateTimeKind.Utc),
            SteadText.ParseTime("2006-07-23 15:59:00")
        );
        Assert.Equal(
            "2007-09-14 04:24:47.00",
            SteadText.FormatTime(new DateTime(2007, 9, 14, 4, 24, 47, DateTimeKind.Utc), 2)
        );
        Assert.Equal(6, SteadText.FractionDigits("2006-07-23 15:59:00.960000"));
    }

    /// <summary>
    /// STEAD's usual time shape is read digit by digit; it must agree with the shapes tried by TryParseExact.
    /// </summary>
    [Theory]
    [InlineData("2006-07-23 15:58:50")]
    [InlineData("2006-07-23 15:58:50.8")]
    [InlineData("2006-07-23 15:58:50.88")]
    [InlineData("2006-07-23 15:58:50.880000")]
    [InlineData("2006-07-23 15:58:50.1234567")]
    [InlineData("  2019-12-31 23:59:59.999999 ")]
    [InlineData("2016-02-29 00:00:00.01")]
    [InlineData("2006-07-23T15:58:50.88")]
    [InlineData("2006-07-23T15:58:50Z")]
    public void Usual_times_read_as_the_shapes_say(string text)
    {
        var shapes = new[]
        {
            "yyyy-MM-dd HH:mm:ss",
            "yyyy-MM-dd HH:mm:ss.FFFFFFF",
            "yyyy-MM-ddTHH:mm:ss",
            "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
            "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ",
            "yyyy-MM-ddTHH:mm:ssZ",
        };
        Assert.True(
            DateTime.TryParseExact(
                text.Trim(),
                shapes,
                System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AdjustToUniversal
                    | System.Globalization.DateTimeStyles.AssumeUniversal,
                out var expected
            )
        );
        var read = SteadText.ParseTime(text);
        Assert.Equal(expected, read);
        Assert.Equal(DateTimeKind.Utc, read!.Value.Kind);
    }

    [Theory]
    [InlineData("2006-13-23 15:58:50.88")]
    [InlineData("2015-02-29 15:58:50")]
    [InlineData("2006-07-23 24:00:00")]
    [InlineData("2006-07-23 15:58:60")]
    [InlineData("2006-07-23 15:58:50.123456789")]
    [InlineData("2006-07-23 15:5a:50")]
    [InlineData("06-07-23 15:58:50")]
    public void Impossible_times_are_refused(string text) =>
        Assert.Throws<FormatException>(() => SteadText.ParseTime(text));

    [Fact]
    public void Arrays_read_in_place()
    {
        Assert.Equal(
            [56.79999924, 55.40000153, 47.40000153],
            SteadText.ParseArray("[ 56.79999924  55.40000153  47.40000153]")!
        );
        Assert.Equal([1.0, double.NaN, 2.5], SteadText.ParseArray("[1.,nan,\t2.5]")!);
        Assert.Equal([2896.0], SteadText.ParseArray("[[ 2896.]]")!);
        Assert.Empty(SteadText.ParseArray("[]")!);
        Assert.Null(SteadText.ParseArray(" NaN "));
        Assert.Throws<FormatException>(() => SteadText.ParseArray("[1. two]"));
    }

    [Fact]
    public void Text_source_id_and_extra_columns_survive()
    {
        var dir = Directory.CreateTempSubdirectory("qp-csv");
        try
        {
            var source = SteadCsv.ReadAll(DataFile("stead-100samples.csv"))[0] with { SourceId = "ci10276477" };
            var row = source.WithExtra("comment", "a, quoted \"one\"").WithExtra("split", "dev");
            var path = Path.Combine(dir.FullName, "x.csv");
            SteadCsv.Write(path, [row], ["comment", "split"]);
            using var reader = new SteadCsvReader(path);
            Assert.Equal(["comment", "split"], reader.ExtraColumns);
            var back = reader.Records().Single();
            Assert.Equal("ci10276477", back.SourceId);
            Assert.Equal("a, quoted \"one\"", back.ExtraValue("comment"));
            Assert.Equal("dev", back.ExtraValue("split"));
            Assert.Equal(SteadCsv.Format(row), SteadCsv.Format(back));
            Assert.EndsWith(",split", File.ReadLines(path).First());
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Missing_column_is_named_with_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("qp-csv");
        try
        {
            var lines = File.ReadAllLines(DataFile("stead-100samples.csv"));
            var path = Path.Combine(dir.FullName, "broken.csv");
            File.WriteAllLines(path, lines.Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 13))));
            var error = Assert.Throws<InvalidDataException>(() => SteadCsv.ReadAll(path));
            Assert.Contains("'source_id'", error.Message);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Bad_cell_names_row_and_column()
    {
        var dir = Directory.CreateTempSubdirectory("qp-csv");
        try
        {
            var lines = File.ReadAllLines(DataFile("stead-100samples.csv"));
            var cells = lines[3].Split(',');
            cells[8] = "zero point five";
            lines[3] = string.Join(",", cells);
            var path = Path.Combine(dir.FullName, "bad.csv");
            File.WriteAllLines(path, lines);
            var error = Assert.Throws<InvalidDataException>(() => SteadCsv.ReadAll(path));
            Assert.Contains("'p_weight'", error.Message);
            Assert.Contains("row 3", error.Message, StringComparison.Ordinal);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
