using System.Runtime.InteropServices;
using System.Text.Json;

namespace QuakePrune.Tests.Spectrograms;

/// <summary>
/// Reference arrays written once by Fixtures/make_fixtures.py (scipy 1.10, torch 1.13) and copied beside the tests.
/// </summary>
internal static class SpectrogramFixtures
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Spectrograms", "Fixtures");
    private static readonly Lazy<JsonElement> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "fixtures.json"))).RootElement
    );

    public static JsonElement Root => Manifest.Value;

    public static float[] Float32(string file) => Read<float>(file);

    public static double[] Float64(string file) => Read<double>(file);

    public static float[] Trace(string name) =>
        Float32(Root.GetProperty("traces").GetProperty(name).GetProperty("file").GetString()!);

    public static IEnumerable<JsonElement> Entries(string section) => Root.GetProperty(section).EnumerateArray();

    public static int[] Shape(JsonElement entry) =>
        entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static T[] Read<T>(string file)
        where T : struct
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The fixtures are little-endian.");
        return MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(Directory, file))).ToArray();
    }
}
