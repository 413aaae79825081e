using QuakePrune.Hdf5;

namespace QuakePrune.Picking;

/// <summary>
/// curves.h5, the `pick` verb's optional output, in the subset's order: `trace_name` (N variable-length strings),
/// `input` (N x 3 x 6000 float32: exactly what the network was fed, preprocessed, channels Z, N, E) and `detection`,
/// `p`, `s` (N x 6000 float32, the output curves after the sigmoid). Each dataset is chunked by trace (one trace's
/// input is 72 KB, one curve 24 KB), so reading one trace reads one chunk of each. Attributes record the component
/// order, the sampling rate and the preprocessing.
/// </summary>
public static class CurvesFile
{
    public const string TraceNameDataset = "trace_name";
    public const string InputDataset = "input";
    public const string DetectionDataset = "detection";
    public const string PDataset = "p";
    public const string SDataset = "s";

    public const string ComponentOrderAttribute = "component_order";
    public const string SamplingRateAttribute = "sampling_rate_hz";
    public const string PreprocessingAttribute = "preprocessing";

    public const string Preprocessing =
        "SeisBench EQTransformer.annotate_batch_pre (norm std): per-component mean removed, divided by the window's unbiased std + 1e-10, 6-sample cosine taper at both ends";
}

/// <summary>
/// Writes a curves.h5 (<see cref="CurvesFile"/>) batch by batch, in row order, into the file given: the partial name an
/// <see cref="Outputs.OutputSet"/> handed out, which the set publishes once the run has completed it (every row
/// written) and removes otherwise.
/// </summary>
public sealed class CurvesWriter : IDisposable
{
    private const int Samples = WaveformPreprocessing.Samples;
    private const int Channels = WaveformPreprocessing.Channels;

    private readonly H5File file;
    private readonly H5Dataset input,
        detection,
        p,
        s;
    private bool completed;

    public string Path { get; }

    /// <summary>Rows the file will hold.</summary>
    public int Count { get; }

    /// <summary>Rows written so far.</summary>
    public int Written { get; private set; }

    /// <param name="path">The file to create (an output set's partial name); one already there is replaced.</param>
    public CurvesWriter(string path, IReadOnlyList<string> traceNames)
    {
        ArgumentNullException.ThrowIfNull(traceNames);
        if (traceNames.Count == 0)
            throw new ArgumentException("curves: no traces to write");
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("curves: give an output file name");
        Path = path;
        Count = traceNames.Count;
        file = H5File.Create(path, overwrite: true);
        try
        {
            file.WriteStrings(CurvesFile.TraceNameDataset, traceNames).Dispose();
            input = file.CreateDataset(
                CurvesFile.InputDataset,
                H5ElementType.Float32,
                [Count, Channels, Samples],
                [1, Channels, Samples]
            );
            detection = file.CreateDataset(
                CurvesFile.DetectionDataset,
                H5ElementType.Float32,
                [Count, Samples],
                [1, Samples]
            );
            p = file.CreateDataset(CurvesFile.PDataset, H5ElementType.Float32, [Count, Samples], [1, Samples]);
            s = file.CreateDataset(CurvesFile.SDataset, H5ElementType.Float32, [Count, Samples], [1, Samples]);
            file.Attributes.Write(CurvesFile.ComponentOrderAttribute, WaveformPreprocessing.ComponentOrder);
            file.Attributes.Write(CurvesFile.SamplingRateAttribute, Stead.SteadLayout.SamplingRateHz);
            file.Attributes.Write(CurvesFile.PreprocessingAttribute, CurvesFile.Preprocessing);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends the next rows: inputs (k x 3 x 6000) and the three curves (k x 6000 each) of the same k traces, which
    /// must follow the rows written so far.
    /// </summary>
    public void Write(
        ReadOnlySpan<float> inputs,
        ReadOnlySpan<float> detectionCurves,
        ReadOnlySpan<float> pCurves,
        ReadOnlySpan<float> sCurves
    )
    {
        if (completed)
            throw new InvalidOperationException($"curves: '{Path}' is already complete");
        if (inputs.Length % (Channels * Samples) != 0)
            throw new ArgumentException($"curves: {inputs.Length} input values are not whole windows of 3 x 6000");
        var rows = inputs.Length / (Channels * Samples);
        if (
            detectionCurves.Length != rows * Samples
            || pCurves.Length != rows * Samples
            || sCurves.Length != rows * Samples
        )
            throw new ArgumentException(
                $"curves: {rows} inputs need {rows * Samples} values per curve, got detection {detectionCurves.Length}, p {pCurves.Length}, s {sCurves.Length}"
            );
        if (Written + rows > Count)
            throw new ArgumentException($"curves: {Written} + {rows} rows exceed the {Count} traces of '{Path}'");
        input.WriteRows(Written, inputs);
        detection.WriteRows(Written, detectionCurves);
        p.WriteRows(Written, pCurves);
        s.WriteRows(Written, sCurves);
        Written += rows;
    }

    /// <summary>Closes the file; every row must have been written.</summary>
    public void Complete()
    {
        if (Written != Count)
            throw new InvalidOperationException(
                $"curves: {Written} of {Count} rows written to '{Path}'; the file is incomplete"
            );
        CloseFile();
        completed = true;
    }

    private void CloseFile() => H5Object.CloseAll(input, detection, p, s, file);

    public void Dispose() => CloseFile();
}

/// <summary>Reads a curves.h5 back (shapes checked when opened): names, and any trace's input and curves.</summary>
public sealed class CurvesReader : IDisposable
{
    private const int Samples = WaveformPreprocessing.Samples;
    private const int Channels = WaveformPreprocessing.Channels;

    private readonly H5File file;
    private readonly H5Dataset input,
        detection,
        p,
        s;

    public string Path { get; }
    public IReadOnlyList<string> TraceNames { get; }

    public CurvesReader(string path)
    {
        Path = path;
        file = H5File.Open(path);
        var opened = new List<H5Dataset>();
        try
        {
            using (var names = Open(CurvesFile.TraceNameDataset, opened))
                TraceNames = names.ReadStrings();
            input = Expect(CurvesFile.InputDataset, [TraceNames.Count, Channels, Samples], opened);
            detection = Expect(CurvesFile.DetectionDataset, [TraceNames.Count, Samples], opened);
            p = Expect(CurvesFile.PDataset, [TraceNames.Count, Samples], opened);
            s = Expect(CurvesFile.SDataset, [TraceNames.Count, Samples], opened);
        }
        catch
        {
            foreach (var dataset in opened)
                dataset.Dispose();
            file.Dispose();
            throw;
        }
    }

    private H5Dataset Open(string name, List<H5Dataset> opened)
    {
        if (!file.Contains(name))
            throw new InvalidDataException($"curves: '{Path}' has no dataset '{name}'");
        var dataset = file.OpenDataset(name);
        opened.Add(dataset);
        return dataset;
    }

    private H5Dataset Expect(string name, long[] shape, List<H5Dataset> opened)
    {
        var dataset = Open(name, opened);
        if (!dataset.Shape.SequenceEqual(shape) || dataset.ElementType != H5ElementType.Float32)
            throw new InvalidDataException(
                $"curves: '{name}' in '{Path}' is {dataset.DtypeName} ({string.Join(", ", dataset.Shape)}), expected float32 ({string.Join(", ", shape)})"
            );
        return dataset;
    }

    /// <summary>The preprocessed input of row <paramref name="row"/> (3 x 6000).</summary>
    public float[] ReadInput(int row)
    {
        var values = new float[Channels * Samples];
        input.ReadRows(row, 1, values);
        return values;
    }

    /// <summary>The detection, P and S curves of row <paramref name="row"/> (6000 each).</summary>
    public (float[] Detection, float[] P, float[] S) ReadCurves(int row)
    {
        var curves = (new float[Samples], new float[Samples], new float[Samples]);
        detection.ReadRows(row, 1, curves.Item1);
        p.ReadRows(row, 1, curves.Item2);
        s.ReadRows(row, 1, curves.Item3);
        return curves;
    }

    public void Dispose()
    {
        input.Dispose();
        detection.Dispose();
        p.Dispose();
        s.Dispose();
        file.Dispose();
    }
}
