using QuakePrune.Hdf5;

namespace QuakePrune.Tests.Hdf5;

public class Hdf5Tests
{
    [Fact]
    public void Version_is_the_loaded_librarys() => Assert.Matches(@"^1\.\d+\.\d+$", Hdf5Library.Version);

    [Fact]
    public void Datasets_groups_and_attributes_round_trip()
    {
        using var dir = new TempDir();
        var path = dir.File("t.h5");
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        using (var file = H5File.Create(path))
        {
            using var group = file.CreateGroup("data", trackCreationOrder: true);
            foreach (var name in new[] { "zeta", "alpha", "mid" })
                using (var d = group.WriteDataset(name, values, [4, 3]))
                    d.Attributes.Write("name", name);
            using var nd = file.CreateDataset("images", H5ElementType.Float16, [5, 2, 2, 3], [1, 2, 2, 3]);
            nd.WriteRows(1, Enumerable.Range(0, 24).Select(i => (Half)i).ToArray().AsSpan());
            using var f32 = file.CreateDataset("f32", H5ElementType.Float32, [4, 2]);
            f32.WriteRows(2, new float[] { 1, 2, 3, 4 }.AsSpan());
            using (file.WriteDataset<long>("labels", new long[] { 1, 0, 1 }, [3])) { }
            using (file.WriteStrings("trace_name", ["a", "b\u00e9", ""])) { }
            file.Attributes.Write("scalar", 2.5);
            file.Attributes.Write("count", 7L);
            file.Attributes.Write("fixed", "abc", fixedLength: true);
            file.Attributes.Write("snr_db", [1.0, 2.0, 3.0], [3]);
            file.Attributes.Write("coda_end_sample", [2896.0], [1, 1]);
            file.Attributes.Write("scalar", 3.5);
        }
        using var read = H5File.Open(path);
        using var data = read.OpenGroup("data");
        Assert.Equal(["alpha", "mid", "zeta"], data.LinkNames());
        Assert.Equal(["zeta", "alpha", "mid"], data.LinkNames(H5LinkOrder.Creation));
        using (var d = data.OpenDataset("mid"))
        {
            Assert.Equal([4L, 3L], d.Shape);
            Assert.Equal(H5ElementType.Float32, d.ElementType);
            Assert.Null(d.ChunkShape);
            Assert.Equal(values, d.Read<float>());
            Assert.Equal("mid", d.Attributes.ReadString("name"));
            var rows = new float[6];
            d.ReadRows(1, 2, rows);
            Assert.Equal(values[3..9], rows);
        }
        using (var images = read.OpenDataset("images"))
        {
            Assert.Equal(H5ElementType.Float16, images.ElementType);
            Assert.Equal([1L, 2L, 2L, 3L], images.ChunkShape!);
            var all = images.Read<float>();
            Assert.All(all[..12], v => Assert.Equal(0f, v));
            Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)i), all[12..36]);
        }
        using (var f32 = read.OpenDataset("f32"))
            Assert.Equal([0f, 0, 0, 0, 1, 2, 3, 4], f32.Read<float>());
        using (var labels = read.OpenDataset("labels"))
            Assert.Equal([1L, 0, 1], labels.Read<long>());
        using (var names = read.OpenDataset("trace_name"))
            Assert.Equal(["a", "b\u00e9", ""], names.ReadStrings());
        Assert.Equal(3.5, read.Attributes.ReadDouble("scalar"));
        Assert.Equal(7.0, read.Attributes.ReadDouble("count"));
        Assert.Equal("7", read.Attributes.ReadString("count"));
        Assert.Equal("abc", read.Attributes.ReadString("fixed"));
        Assert.Equal([1.0, 2.0, 3.0], read.Attributes.Read("snr_db").Numbers!);
        Assert.Equal([1L, 1L], read.Attributes.Read("coda_end_sample").Shape);
        Assert.Null(read.Attributes.TryRead("absent"));
        Assert.Contains("count", read.Attributes.Names());
    }

    [Fact]
    public void Links_stream_in_batches_across_resumes()
    {
        using var dir = new TempDir();
        using var file = H5File.Create(dir.File("many.h5"));
        using var group = file.CreateGroup("g");
        for (var i = 0; i < 25; i++)
            using (group.CreateGroup($"n{i:D2}")) { }
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"n{i:D2}"), group.EnumerateLinkNames(batchSize: 4));
        Assert.True(group.Contains("n07"));
        Assert.False(group.Contains("n99/x"));
    }

    [Fact]
    public void Errors_name_the_file_and_object_without_printing()
    {
        using var dir = new TempDir();
        var path = dir.File("e.h5");
        using (var file = H5File.Create(path))
        using (file.CreateGroup("data")) { }
        using var read = H5File.Open(path);
        var error = Assert.Throws<Hdf5Exception>(() => read.OpenDataset("data/nothing"));
        Assert.Contains(path, error.Message);
        Assert.Contains("/data/nothing", error.Message);
        Assert.Throws<FileNotFoundException>(() => H5File.Open(dir.File("absent.h5")));
        var notHdf5 = dir.File("text.h5");
        File.WriteAllText(notHdf5, "not hdf5");
        Assert.Contains(notHdf5, Assert.Throws<Hdf5Exception>(() => H5File.Open(notHdf5)).Message);
    }
}
