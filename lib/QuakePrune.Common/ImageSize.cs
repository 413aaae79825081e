using System.Globalization;

namespace QuakePrune;

/// <summary>Output image size in pixels (frequency rows x time columns).</summary>
public sealed record ImageSize(int Height, int Width)
{
    /// <summary>The largest side accepted: 4096 pixels (a 3 x 4096 x 4096 float32 image is 200 MB).</summary>
    public const int MaxSide = 4096;

    public override string ToString() => $"{Height}x{Width}";

    /// <summary>Parses "224x224"; returns null for "native" (keep the spectrogram's own size).</summary>
    public static ImageSize? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("native", StringComparison.OrdinalIgnoreCase))
            return null;
        var parts = trimmed.Split('x', 'X');
        if (
            parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            && height > 0
            && width > 0
            && height <= MaxSide
            && width <= MaxSide
        )
            return new ImageSize(height, width);
        throw new FormatException(
            $"Image size '{text}' is neither 'native' nor HEIGHTxWIDTH with whole numbers 1..{MaxSide} (e.g. 224x224)."
        );
    }
}
