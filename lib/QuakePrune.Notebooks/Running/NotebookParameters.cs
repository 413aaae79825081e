using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace QuakePrune.Notebooks.Running;

/// <summary>
/// Papermill's convention for C#: the cell tagged "parameters" declares defaults; overrides go into a cell
/// tagged "injected-parameters" right after it, each value typed like the default it replaces.
/// </summary>
public static class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>The variables a parameters cell declares at top level, in order.</summary>
    public static IReadOnlyList<string> DeclaredNames(string code) =>
        Declarations(code)
            .SelectMany(d => d.Declaration.Variables)
            .Select(v => v.Identifier.ValueText)
            .Distinct()
            .ToList();

    /// <summary>
    /// Where a parameters cell declares the variables named, as (start, length) in <paramref name="code"/>: the whole
    /// statement (<c>string preset = "quick";</c>, not the comment after it) when it declares only those, else each
    /// named variable alone (<c>a = 1</c> of <c>int a = 1, b = 2;</c>). The report marks the defaults an injected cell
    /// overrode with it.
    /// </summary>
    public static IReadOnlyList<(int Start, int Length)> DeclarationSpans(string code, IReadOnlySet<string> names) =>
        Declarations(code)
            .SelectMany(d =>
                d.Declaration.Variables.All(v => names.Contains(v.Identifier.ValueText))
                    ? [d.Statement.Span]
                    : d.Declaration.Variables.Where(v => names.Contains(v.Identifier.ValueText)).Select(v => v.Span)
            )
            .Select(span => (span.Start, span.Length))
            .ToList();

    /// <summary>The top-level declaration statements of a cell, each with its declaration.</summary>
    static IEnumerable<(SyntaxNode Statement, VariableDeclarationSyntax Declaration)> Declarations(string code)
    {
        var tree = CSharpSyntaxTree.ParseText(
            code,
            new CSharpParseOptions(LanguageVersion.Preview, kind: SourceCodeKind.Script)
        );
        // A script's top-level declarations parse as fields; statements inside blocks are not parameters.
        foreach (var member in tree.GetCompilationUnitRoot().Members)
        {
            if (member is FieldDeclarationSyntax field)
                yield return (field, field.Declaration);
            else if (member is GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local } global)
                yield return (global, local.Declaration);
        }
    }

    /// <summary>The injected cell's code: one typed declaration per override.</summary>
    /// <param name="typeOf">The declared type of each default, as the parameters cell left it.</param>
    public static string InjectedSource(
        IEnumerable<KeyValuePair<string, string>> overrides,
        Func<string, Type?> typeOf,
        string where
    )
    {
        var lines = new List<string> { "// Parameters" };
        foreach (var (name, value) in overrides)
        {
            var type = typeOf(name)
                ?? throw new ArgumentException(
                    $"{where}: parameter '{name}' has no value after the parameters cell ran"
                );
            lines.Add($"{Keyword(type, name, where)} {name} = {Literal(value, type, name, where)};");
        }
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>The value as a typed object, for the notebook's metadata.</summary>
    public static object Typed(string value, Type type, string name, string where) =>
        type switch
        {
            _ when type == typeof(string) => value,
            _ when type == typeof(bool) => ParseBool(value, name, where),
            _ when type == typeof(int) => Parse(value, name, where, "an int", s =>
                int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)
            ),
            _ when type == typeof(long) => Parse(value, name, where, "a long", s =>
                long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)
            ),
            _ when type == typeof(double) => Parse(value, name, where, "a number", s =>
                double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
            ),
            _ when type == typeof(float) => Parse(value, name, where, "a number", s =>
                float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
            ),
            _ when type == typeof(decimal) => Parse(value, name, where, "a number", s =>
                decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)
            ),
            _ => throw new ArgumentException(
                $"{where}: parameter '{name}' is a {type.Name}; only string, bool, int, long, float, double and decimal parameters can be set"
            ),
        };

    static string Literal(string value, Type type, string name, string where) =>
        Typed(value, type, name, where) switch
        {
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            bool b => b ? "true" : "false",
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            double d => DoubleLiteral(d),
            float f => float.IsFinite(f)
                ? f.ToString("R", CultureInfo.InvariantCulture) + "f"
                : $"(float){DoubleLiteral(f)}",
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
            var other => throw new InvalidOperationException($"no literal for {other.GetType()}"),
        };

    static string DoubleLiteral(double d) =>
        d switch
        {
            double.NaN => "double.NaN",
            double.PositiveInfinity => "double.PositiveInfinity",
            double.NegativeInfinity => "double.NegativeInfinity",
            _ => d.ToString("R", CultureInfo.InvariantCulture) is var s && (s.Contains('.') || s.Contains('E'))
                ? s
                : s + ".0",
        };

    static string Keyword(Type type, string name, string where) =>
        type switch
        {
            _ when type == typeof(string) => "string",
            _ when type == typeof(bool) => "bool",
            _ when type == typeof(int) => "int",
            _ when type == typeof(long) => "long",
            _ when type == typeof(double) => "double",
            _ when type == typeof(float) => "float",
            _ when type == typeof(decimal) => "decimal",
            _ => throw new ArgumentException(
                $"{where}: parameter '{name}' is a {type.Name}; only string, bool, int, long, float, double and decimal parameters can be set"
            ),
        };

    static bool ParseBool(string value, string name, string where) =>
        value.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw new ArgumentException($"{where}: parameter '{name}' is a bool; '{value}' is not true or false"),
        };

    static T Parse<T>(string value, string name, string where, string what, Func<string, T> parse)
    {
        try
        {
            return parse(value.Trim());
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException($"{where}: parameter '{name}' is {what}; '{value}' is not", e);
        }
    }
}
