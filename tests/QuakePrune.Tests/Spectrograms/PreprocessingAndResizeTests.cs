using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class PreprocessingAndResizeTests
{
    [Fact]
    public void Linear_detrend_removes_a_straight_line_and_keeps_what_is_orthogonal_to_it()
    {
        var n = 1000;
        var wave = Enumerable.Range(0, n).Select(i => Math.Cos(2 * Math.PI * 7 * (i + 0.5) / n)).ToArray();
        var x = Enumerable.Range(0, n).Select(i => 40.0 - 0.25 * i + wave[i]).ToArray();
        SignalOps.DetrendLinear(x);
        var worst = x.Zip(wave, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst < 1e-9, $"residual {worst}");
    }

    [Fact]
    public void Demean_leaves_zero_mean()
    {
        var x = new[] { 3.0, 5.0, 10.0, -2.0 };
        SignalOps.Demean(x);
        Assert.Equal([-1.0, 1.0, 6.0, -6.0], x);
    }

    public static TheoryData<int> TukeyCases()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < SpectrogramFixtures.Entries("tukey").Count(); i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(TukeyCases))]
    public void Tukey_window_equals_scipy(int index)
    {
        var entry = SpectrogramFixtures.Entries("tukey").ElementAt(index);
        var expected = SpectrogramFixtures.Float64(entry.GetProperty("file").GetString()!);
        var actual = SignalOps.TukeyWindow(entry.GetProperty("m").GetInt32(), entry.GetProperty("alpha").GetDouble());
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 12);
    }

    public static TheoryData<string> ResizeFiles()
    {
        var data = new TheoryData<string>();
        foreach (var entry in SpectrogramFixtures.Entries("resize"))
            data.Add(entry.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(ResizeFiles))]
    public void Bilinear_resize_equals_torch_interpolate(string file)
    {
        var entry = SpectrogramFixtures.Entries("resize").Single(e => e.GetProperty("file").GetString() == file);
        var sourceShape = SpectrogramFixtures.Shape(SpectrogramFixtures.Root.GetProperty("resize_source"));
        var source = SpectrogramFixtures.Float32(
            SpectrogramFixtures.Root.GetProperty("resize_source").GetProperty("file").GetString()!
        );
        int height = entry.GetProperty("height").GetInt32(),
            width = entry.GetProperty("width").GetInt32();
        var resize = new BilinearResize(sourceShape[1], sourceShape[2], height, width);
        var actual = new float[sourceShape[0] * height * width];
        resize.Apply(source, actual, sourceShape[0]);
        var expected = SpectrogramFixtures.Float32(file);
        Assert.Equal(expected.Length, actual.Length);
        // Same indices and weights as torch; its kernel orders the float arithmetic differently, so a few ulps apart.
        for (var i = 0; i < expected.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= 5e-6,
                $"value {i}: torch {expected[i]:R}, here {actual[i]:R}"
            );
    }

    [Fact]
    public void Resize_to_the_same_size_is_the_identity()
    {
        var source = Enumerable.Range(0, 2 * 5 * 7).Select(i => (float)Math.Sin(i)).ToArray();
        var destination = new float[source.Length];
        new BilinearResize(5, 7, 5, 7).Apply(source, destination, 2);
        Assert.Equal(source, destination);
    }
}
