namespace QuakePrune.Stead;

/// <summary>STEAD's trace_category: `earthquake_local` or `noise`.</summary>
public enum TraceCategory
{
    EarthquakeLocal,
    Noise,
}

/// <summary>
/// One STEAD trace's metadata: the 35 columns of the CSV (and attributes of the HDF5 dataset), typed. Missing values
/// (`None`) are null; times are UTC; extra columns a file carries are kept in order in <see cref="Extra"/>.
/// </summary>
public sealed record SteadRecord
{
    public string NetworkCode { get; init; } = "";
    public string ReceiverCode { get; init; } = "";
    public string ReceiverType { get; init; } = "";
    public double? ReceiverLatitude { get; init; }
    public double? ReceiverLongitude { get; init; }
    public double? ReceiverElevationM { get; init; }
    public double? PArrivalSample { get; init; }
    public string? PStatus { get; init; }
    public double? PWeight { get; init; }
    public double? PTravelSec { get; init; }
    public double? SArrivalSample { get; init; }
    public string? SStatus { get; init; }
    public double? SWeight { get; init; }

    /// <summary>Event id: an integer in some catalogues, text in others, so kept as text.</summary>
    public string? SourceId { get; init; }
    public DateTime? SourceOriginTime { get; init; }
    public double? SourceOriginUncertaintySec { get; init; }
    public double? SourceLatitude { get; init; }
    public double? SourceLongitude { get; init; }
    public double? SourceErrorSec { get; init; }
    public double? SourceGapDeg { get; init; }
    public double? SourceHorizontalUncertaintyKm { get; init; }
    public double? SourceDepthKm { get; init; }
    public double? SourceDepthUncertaintyKm { get; init; }
    public double? SourceMagnitude { get; init; }
    public string? SourceMagnitudeType { get; init; }
    public string? SourceMagnitudeAuthor { get; init; }
    public string? SourceMechanismStrikeDipRake { get; init; }
    public double? SourceDistanceDeg { get; init; }
    public double? SourceDistanceKm { get; init; }
    public double? BackAzimuthDeg { get; init; }

    /// <summary>Signal-to-noise ratio in dB per component (E, N, Z); null for noise.</summary>
    public double[]? SnrDb { get; init; }
    public double? CodaEndSample { get; init; }
    public DateTime? TraceStartTime { get; init; }
    public TraceCategory TraceCategory { get; init; }

    /// <summary>
    /// Fraction digits the origin time is printed with (STEAD has 2 or 6); kept from the file so rows write back as
    /// read.
    /// </summary>
    public int OriginTimeDigits { get; init; } = 2;

    /// <summary>Fraction digits the trace start time is printed with (6, or 0 for a whole second).</summary>
    public int StartTimeDigits { get; init; } = 6;
    public string TraceName { get; init; } = "";

    /// <summary>Columns beyond STEAD's 35 (e.g. `split`), in file order.</summary>
    public KeyValuePair<string, string>[] Extra { get; init; } = [];

    public bool IsEarthquake => TraceCategory == TraceCategory.EarthquakeLocal;

    /// <summary>Mean SNR of the three components in dB; null where there is none.</summary>
    public double? MeanSnrDb => SnrDb is { Length: > 0 } s && s.All(double.IsFinite) ? s.Average() : null;

    /// <summary>The value of an extra column, or null.</summary>
    public string? ExtraValue(string column)
    {
        foreach (var pair in Extra)
            if (pair.Key == column)
                return pair.Value;
        return null;
    }

    /// <summary>A copy whose extra column <paramref name="column"/> is set (replaced, or appended last).</summary>
    public SteadRecord WithExtra(string column, string value) =>
        this with
        {
            Extra = [.. Extra.Where(p => p.Key != column), new KeyValuePair<string, string>(column, value)],
        };
}
