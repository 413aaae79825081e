using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks.Tests;

public class FormatterTests
{
    record Measurement(string Variant, double LatencyMs);
    class Animal { public override string ToString() => "animal"; }
    sealed class Dog : Animal;
    interface IShape;
    sealed class Square : IShape;

    [Fact]
    public void RecordsBecomeAnHtmlAndTextTable()
    {
        var bundle = FormatterRegistry.CreateDefault().Format(new List<Measurement> { new("baseline", 40.5), new("prune90", 14) });
        Assert.Equal("Variant   LatencyMs\n--------  ---------\nbaseline  40.5\nprune90   14", bundle.PlainText);
        Assert.Equal("<table class=\"qp-table\"><thead><tr><th>Variant</th><th>LatencyMs</th></tr></thead><tbody>"
                     + "<tr><td>baseline</td><td>40.5</td></tr><tr><td>prune90</td><td>14</td></tr></tbody></table>",
            bundle[MimeTypes.Html]!.GetValue<string>());
    }

    [Fact]
    public void LongTablesStopAtTheRowLimitAndCountTheRest()
    {
        var registry = FormatterRegistry.CreateDefault();
        registry.MaxTableRows = 2;
        var bundle = registry.Format(Enumerable.Range(0, 5).Select(i => new { Index = i, Square = i * i }).ToList());
        Assert.Equal("Index  Square\n-----  ------\n0      0\n1      1\n(3 more rows)", bundle.PlainText);
    }

    [Fact]
    public void ScalarsAndScalarSequencesAreText()
    {
        var registry = FormatterRegistry.CreateDefault();
        Assert.Equal("[1, 2.5, 3]", registry.Format(new[] { 1, 2.5, 3 }).PlainText);
        Assert.Equal("0.1", registry.Format(0.1).PlainText);
        Assert.Equal("<null>", registry.Format(null).PlainText);
        Assert.Null(registry.Format("text")[MimeTypes.Html]);
    }

    [Fact]
    public void RegisteredFormattersServeSubclassesAndImplementationsMostDerivedFirst()
    {
        var registry = FormatterRegistry.CreateDefault();
        registry.Register<Animal>(a => new MimeBundle("an animal"));
        registry.Register<IShape>(s => new MimeBundle("a shape"));
        Assert.Equal("an animal", registry.Format(new Dog()).PlainText);
        registry.Register<Dog>(d => new MimeBundle("a dog"));
        Assert.Equal("a dog", registry.Format(new Dog()).PlainText);
        Assert.Equal("an animal", registry.Format(new Animal()).PlainText);
        Assert.Equal("a shape", registry.Format(new Square()).PlainText);
    }

    [Fact]
    public void PngImagesAndHtmlKeepTheirMimeTypes()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3];
        var registry = FormatterRegistry.CreateDefault();
        Assert.Equal(Convert.ToBase64String(png), registry.Format(new PngImage(png))[MimeTypes.Png]!.GetValue<string>());
        Assert.Equal("<i>x</i>", registry.Format(new HtmlString("<i>x</i>"))[MimeTypes.Html]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => new PngImage([1, 2, 3]));
    }
}
