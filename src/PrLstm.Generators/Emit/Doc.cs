using System.Collections.Generic;
using System.Linq;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// A C# expression as a small tree, so that the printer can break it over lines where it is too long
    /// (no generated line is over <see cref="SourceWriter.MaxLineLength"/> characters).
    /// </summary>
    internal abstract record Doc
    {
        /// <summary>The expression on one line.</summary>
        public abstract string Flat { get; }

        /// <summary>As an operand of an operator or a receiver: parenthesised unless it is a name, call or literal.</summary>
        public virtual Doc Operand => this;
    }

    /// <summary>A name, literal or other unbreakable text.</summary>
    internal sealed record Text(string Value) : Doc
    {
        public override string Flat => Value;
    }

    /// <summary><c>name(args)</c> or <c>receiver.name(args)</c>; also a parameter list, or type arguments with &lt; &gt;.</summary>
    internal sealed record CallDoc(Doc? Receiver, string Name, IReadOnlyList<Doc> Arguments, string Open = "(", string Close = ")") : Doc
    {
        public string Head => Receiver is null ? Name : Receiver.Operand.Flat + "." + Name;

        public override string Flat => Head + Open + string.Join(", ", Arguments.Select(a => a.Flat)) + Close;
    }

    /// <summary><c>left op right</c> for * and /; the right operand is parenthesised when compound (keeping the order).</summary>
    internal sealed record InfixDoc(Doc Left, string Operator, Doc Right) : Doc
    {
        public Doc RightOperand => Right is InfixDoc ? new ParenDoc(Right) : Right.Operand;

        public Doc LeftOperand => Left is InfixDoc ? Left : Left.Operand;

        public override string Flat => LeftOperand.Flat + " " + Operator + " " + RightOperand.Flat;

        public override Doc Operand => new ParenDoc(this);
    }

    /// <summary>Unary minus; a compound operand (even another minus) is parenthesised, so <c>-(-x)</c> never reads <c>--x</c>.</summary>
    internal sealed record NegateDoc(Doc Value) : Doc
    {
        /// <summary>What follows the minus: the value, parenthesised unless it is a name, literal or call.</summary>
        public Doc Inner => Value is Text or CallDoc ? Value : new ParenDoc(Value);

        public override string Flat => "-" + Inner.Flat;

        public override Doc Operand => new ParenDoc(this);
    }

    /// <summary>An array creation: <c>new[] { a, b }</c>, <c>new long[] { H, H }</c>.</summary>
    internal sealed record ArrayDoc(string Head, IReadOnlyList<Doc> Items) : Doc
    {
        public override string Flat => Head + " { " + string.Join(", ", Items.Select(i => i.Flat)) + " }";
    }

    /// <summary><c>(inner)</c>.</summary>
    internal sealed record ParenDoc(Doc Inner) : Doc
    {
        public override string Flat => "(" + Inner.Flat + ")";
    }

    /// <summary>Writes docs, breaking calls after their opening parenthesis, arrays into one item a line, and products
    /// before their operator.</summary>
    internal static class DocWriter
    {
        /// <summary>Writes <paramref name="prefix"/> + doc + <paramref name="suffix"/> at the writer's indentation.</summary>
        public static void Write(SourceWriter w, string prefix, Doc doc, string suffix)
        {
            string flat = prefix + doc.Flat + suffix;
            if (w.Fits(flat))
            {
                w.Line(flat);
                return;
            }
            switch (doc)
            {
                case CallDoc call when call.Arguments.Count > 0:
                    w.Line(prefix + call.Head + call.Open);
                    w.Indentation++;
                    for (int i = 0; i < call.Arguments.Count; i++)
                        Write(w, "", call.Arguments[i], i < call.Arguments.Count - 1 ? "," : call.Close + suffix);
                    w.Indentation--;
                    break;
                case InfixDoc infix:
                    Write(w, prefix, infix.LeftOperand, "");
                    w.Indentation++;
                    Write(w, infix.Operator + " ", infix.RightOperand, suffix);
                    w.Indentation--;
                    break;
                case ArrayDoc array when array.Items.Count > 0:
                    w.Line(prefix + array.Head);
                    w.Line("{");
                    w.Indentation++;
                    for (int i = 0; i < array.Items.Count; i++)
                        Write(w, "", array.Items[i], ",");
                    w.Indentation--;
                    w.Line("}" + suffix);
                    break;
                case ParenDoc paren:
                    Write(w, prefix + "(", paren.Inner, ")" + suffix);
                    break;
                case NegateDoc negate:
                    Write(w, prefix + "-", negate.Inner, suffix);
                    break;
                default:
                    w.Line(flat);
                    break;
            }
        }
    }
}
