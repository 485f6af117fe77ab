using System.Collections.Generic;
using System.Text;

namespace PrLstm.Generators.Emit
{
    /// <summary>Writes indented C# text (after dotnet/runtime's SourceWriter).</summary>
    internal sealed class SourceWriter
    {
        /// <summary>No generated line is longer: people read these files under obj/ and in snapshot diffs.</summary>
        public const int MaxLineLength = 140;

        private readonly StringBuilder _text = new();

        public int Indentation { get; set; }

        public SourceWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', Indentation * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        /// <summary>Whether <paramref name="line"/> fits at the current indentation.</summary>
        public bool Fits(string line) => Indentation * 4 + line.Length <= MaxLineLength;

        /// <summary>A <c>//</c> or <c>///</c> comment, word-wrapped to the line length.</summary>
        public SourceWriter Comment(string text, string marker = "//")
        {
            foreach (string line in Wrap(text, MaxLineLength - Indentation * 4 - marker.Length - 1))
                Line(marker + " " + line);
            return this;
        }

        /// <summary>A <c>/// &lt;summary&gt;</c> doc comment: on one line when it fits, else wrapped between the tags.</summary>
        public SourceWriter Summary(string text)
        {
            string single = "/// <summary>" + text + "</summary>";
            if (Fits(single)) return Line(single);
            Line("/// <summary>");
            Comment(text, "///");
            return Line("/// </summary>");
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

        /// <summary>The words of a text, an XML tag such as <c>&lt;see cref="X"/&gt;</c> counting as one.</summary>
        private static IEnumerable<string> Words(string text)
        {
            var word = new StringBuilder();
            int depth = 0;
            foreach (char c in text)
            {
                if (c == '<') depth++;
                else if (c == '>' && depth > 0) depth--;
                if (c == ' ' && depth == 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
                else
                {
                    word.Append(c);
                }
            }
            yield return word.ToString();
        }

        private static IEnumerable<string> Wrap(string text, int width)
        {
            var line = new StringBuilder();
            foreach (string whole in Words(text))
            {
                // A word longer than a line (a deeply nested call) is cut where it must be.
                string word = whole;
                while (word.Length > width)
                {
                    if (line.Length > 0) { yield return line.ToString(); line.Clear(); }
                    yield return word.Substring(0, width);
                    word = word.Substring(width);
                }
                if (line.Length > 0 && line.Length + 1 + word.Length > width)
                {
                    yield return line.ToString();
                    line.Clear();
                }
                if (line.Length > 0) line.Append(' ');
                line.Append(word);
            }
            if (line.Length > 0) yield return line.ToString();
        }
    }
}
