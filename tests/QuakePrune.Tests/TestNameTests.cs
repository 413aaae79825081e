using System.Text.RegularExpressions;

namespace QuakePrune.Tests;

/// <summary>
/// The house form of a test's name (.editorconfig): a sentence, its words joined by underscores, the first capitalised
/// (`Same_seed_same_weights`), as xunit then lists it readably. A naming rule cannot see the [Fact] attribute, so this
/// reads every test project's sources.
/// </summary>
public sealed partial class TestNameTests
{
    [Fact]
    public void Every_test_in_every_test_project_is_named_as_a_sentence()
    {
        var tests = Path.Combine(Root(), "tests");
        var wrong = new List<string>();
        foreach (
            var file in Directory
                .EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
                .Where(f =>
                    !f.Contains(
                        $"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}",
                        StringComparison.Ordinal
                    )
                )
        )
        foreach (Match test in TestMethod().Matches(File.ReadAllText(file)))
            if (!Sentence().IsMatch(test.Groups["name"].Value))
                wrong.Add($"{Path.GetRelativePath(tests, file)}: {test.Groups["name"].Value}");
        Assert.True(
            wrong.Count == 0,
            "tests not named as a sentence (First_word_then_the_rest):\n" + string.Join("\n", wrong)
        );
    }

    [GeneratedRegex(@"\[(?:Fact|Theory)\b[^\]]*\](?:\s*\[[^\]]*\])*\s*public\s+(?:async\s+)?\w+\s+(?<name>\w+)\s*\(")]
    private static partial Regex TestMethod();

    [GeneratedRegex(@"^[A-Z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")]
    private static partial Regex Sentence();

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuakePrune.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no QuakePrune.sln above {AppContext.BaseDirectory}");
    }
}
