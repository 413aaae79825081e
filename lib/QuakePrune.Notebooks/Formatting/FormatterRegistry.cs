using System.Globalization;
using QuakePrune.Notebooks.Plotting;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>
/// The one place that decides how a value shows in a notebook. A formatter registered for a type also
/// serves its subclasses (and, for interfaces, its implementations); the most derived registration wins,
/// then the latest. Values no formatter claims become a table (sequences of records) or their text.
/// </summary>
public sealed class FormatterRegistry
{
    readonly Lock gate = new();
    readonly List<(Type Type, Func<object, MimeBundle> Format)> formatters = [];

    /// <summary>The registry notebooks use, with the built-in formatters registered.</summary>
    public static FormatterRegistry Default { get; } = CreateDefault();

    /// <summary>Most rows a table shows; the rest are counted below it.</summary>
    public int MaxTableRows { get; set; } = 100;

    public static FormatterRegistry CreateDefault()
    {
        var registry = new FormatterRegistry();
        registry.Register<HtmlString>(h => new MimeBundle(h.Html).Add(MimeTypes.Html, h.Html));
        registry.Register<PngImage>(p => new MimeBundle(p.ToString()).Add(MimeTypes.Png, Convert.ToBase64String(p.Bytes)));
        registry.Register<Figure>(f => f.ToMimeBundle());
        registry.Register<QuakePrune.Torch.Tensor>(TensorFormatter.Format);
        return registry;
    }

    public void Register<T>(Func<T, MimeBundle> format) where T : notnull =>
        Register(typeof(T), value => format((T)value));

    public void Register(Type type, Func<object, MimeBundle> format)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(format);
        lock (gate) formatters.Add((type, format));
    }

    public MimeBundle Format(object? value)
    {
        if (value is null) return new MimeBundle("<null>");
        var formatter = Find(value.GetType());
        if (formatter is not null) return formatter(value);
        if (value is System.Collections.IEnumerable sequence and not string) return TableFormatter.Format(sequence, MaxTableRows);
        return new MimeBundle(PlainText(value));
    }

    Func<object, MimeBundle>? Find(Type type)
    {
        lock (gate)
        {
            for (var t = type; t is not null; t = t.BaseType)
                for (var i = formatters.Count - 1; i >= 0; i--)
                    if (formatters[i].Type == t) return formatters[i].Format;
            for (var i = formatters.Count - 1; i >= 0; i--)
                if (formatters[i].Type.IsInterface && formatters[i].Type.IsAssignableFrom(type)) return formatters[i].Format;
            return null;
        }
    }

    /// <summary>A value's text, culture-invariant.</summary>
    public static string PlainText(object? value) => value switch
    {
        null => "<null>",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
