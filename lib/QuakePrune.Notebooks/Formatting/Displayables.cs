namespace QuakePrune.Notebooks.Formatting;

/// <summary>HTML to show as is (what <c>HTML("...")</c> returns in a notebook).</summary>
public sealed record HtmlString(string Html)
{
    public override string ToString() => Html;
}

/// <summary>A PNG image to show in a notebook: the encoded file's bytes.</summary>
public sealed record PngImage(byte[] Bytes)
{
    static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public byte[] Bytes { get; } = Bytes.AsSpan().StartsWith(Signature)
        ? Bytes
        : throw new ArgumentException("the bytes are not a PNG image (no PNG signature)", nameof(Bytes));

    public static PngImage Load(string path) => new(File.ReadAllBytes(path));

    public override string ToString() => $"PNG image, {Bytes.Length} bytes";
}
