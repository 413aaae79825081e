using Microsoft.Data.Analysis;
using QuakePrune.Notebooks.Study;

namespace QuakePrune.Notebooks.Tests;

public class SubsetFramesTests
{
    /// <summary>
    /// Real STEAD rows: source_id is a number in the first 23 rows and text after (LoadCsv's ten-row guess would call
    /// it a number and fail), and STEAD writes None for missing values.
    /// </summary>
    [Fact]
    public void Real_stead_rows_become_typed_columns_with_none_as_null()
    {
        var frame = SubsetFrames.Read(TestSupport.Fixture("stead-100samples.csv"));
        Assert.Equal(100, frame.Rows.Count);
        Assert.Equal(35, frame.Columns.Count);
        Assert.Equal(typeof(string), frame["source_id"].DataType);
        Assert.Equal("8556349", frame["source_id"][0]);
        Assert.Equal("ci14296868", frame["source_id"][23]);
        Assert.Equal(typeof(double), frame["source_magnitude"].DataType);
        Assert.Equal(3.6, frame["source_magnitude"][0]);
        Assert.Null(frame["source_depth_uncertainty_km"][0]);
        Assert.Equal(new DateTime(2006, 7, 23, 15, 59, 0, 960), frame["trace_start_time"][0]);
        Assert.Equal(typeof(string), frame["snr_db"].DataType);
        Assert.Equal(100L, frame.GroupBy<string>("trace_category").Count("trace_name")["trace_name"][0]);
    }

    [Fact]
    public void A_value_that_is_not_its_columns_type_is_an_error_naming_row_and_column()
    {
        using var temp = new TempDirectory();
        var lines = File.ReadAllLines(TestSupport.Fixture("stead-100samples.csv")).Take(3).ToArray();
        lines[1] = lines[1].Replace(",3.6,", ",three,", StringComparison.Ordinal);
        var path = Path.Combine(temp.Path, "bad.csv");
        File.WriteAllLines(path, lines);
        var error = Assert.Throws<InvalidDataException>(() => SubsetFrames.Read(path));
        Assert.Contains("row 1,", error.Message);
        Assert.Contains("'source_magnitude'", error.Message);
        Assert.Contains("'three' is not a number", error.Message);
    }
}
