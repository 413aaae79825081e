using System.Text;
using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// Sends Console.Out and Console.Error to the running cell's outputs (found through an async-local, so
/// concurrent notebooks and background tasks a cell starts write to their own cell) and elsewhere to the
/// process's original streams.
/// </summary>
static class ConsoleRouter
{
    static readonly Lock gate = new();
    static bool installed;

    public static void Install()
    {
        lock (gate)
        {
            if (installed) return;
            Console.SetOut(new RoutingWriter("stdout", Console.Out));
            Console.SetError(new RoutingWriter("stderr", Console.Error));
            installed = true;
        }
    }

    sealed class RoutingWriter(string stream, TextWriter fallback) : TextWriter
    {
        public override Encoding Encoding => fallback.Encoding;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void Write(string? value)
        {
            if (value is null) return;
            if (CellOutputs.Current is { } outputs) outputs.AppendStream(stream, value);
            else fallback.Write(value);
        }

        public override void WriteLine(string? value) => Write((value ?? "") + new string(CoreNewLine));

        public override void Flush()
        {
            if (CellOutputs.Current is null) fallback.Flush();
        }
    }
}
