using System.Text;

namespace PrLstm.Generators.Emit
{
    /// <summary>Writes indented C# text (after dotnet/runtime's SourceWriter).</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new();

        public int Indentation { get; set; }

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', Indentation * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        public SourceWriter Open(string line)
        {
            Line(line).Line("{");
            Indentation++;
            return this;
        }

        public SourceWriter Close(string suffix = "")
        {
            Indentation--;
            return Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
