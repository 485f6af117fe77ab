namespace PrLstm.Experiments.Tasks;

/// <summary>
/// The random bracket expressions of modular_arithmetic_brackets and solve_equation (spec 2.7), as characters
/// '0'..'4', '+', '-', '*', '(', ')', with their value mod 5, and an exact evaluator of such strings.
/// </summary>
public static class BracketExpressions
{
    /// <summary>gen(len): every draw from one stream, in the reference's order (left subtree, right subtree, operator).</summary>
    public static (string Text, int Value) Generate(TaskRandom random, int length, bool multiplication)
    {
        switch (length)
        {
            case 1: { int d = random.Uniform(0, 4); return (Digit(d), d); }
            case 2: { int d = random.Uniform(0, 4); return ("-" + Digit(d), Bits.Mod(-d, 5)); }
            case 3: { int d = random.Uniform(0, 4); return ("(" + Digit(d) + ")", d); }
            case 4: { int d = random.Uniform(0, 4); return ("(-" + Digit(d) + ")", Bits.Mod(-d, 5)); }
        }
        int a = random.Uniform(1, length - 4);
        int b = length - 3 - a;
        var (left, leftValue) = Generate(random, a, multiplication);
        var (right, rightValue) = Generate(random, b, multiplication);
        int op = random.Uniform(0, multiplication ? 2 : 1); // 0 = +, 1 = -, 2 = *
        int value = op switch
        {
            0 => Bits.Mod(leftValue + rightValue, 5),
            1 => Bits.Mod(leftValue - rightValue, 5),
            _ => Bits.Mod(leftValue * rightValue, 5),
        };
        return ("(" + left + "+-*"[op] + right + ")", value);
    }

    private static string Digit(int d) => ((char)('0' + d)).ToString();

    /// <summary>
    /// Evaluates a string of the generator's grammar mod 5: E = digit | -E | (E) | (E op E). Any other string
    /// throws <see cref="FormatException"/>. <paramref name="x"/> is the value of the unknown 'x', if any.
    /// Iterative, with an explicit stack of open constructs, so that no input (say a million nested '-') can
    /// overflow the call stack.
    /// </summary>
    public static int Evaluate(string text, int? x = null)
    {
        var open = new Stack<Open>();
        int position = 0;
        while (true)
        {
            // Descend to the next operand: push every '-' and '(' that opens before it.
            if (position >= text.Length) throw new FormatException("the expression ends too early");
            char c = text[position];
            int value;
            if (c is >= '0' and <= '4') value = c - '0';
            else if (c == 'x' && x is not null) value = x.Value;
            else if (c is '-' or '(') { open.Push(new Open(c, 0, ' ')); position++; continue; }
            else throw new FormatException($"unexpected '{c}' at position {position + 1}");
            position++;

            // Close constructs with the operand's value until one needs a second operand.
            while (true)
            {
                if (open.Count == 0)
                {
                    if (position != text.Length) throw new FormatException($"unexpected '{text[position]}' at position {position + 1}");
                    return value;
                }
                var construct = open.Pop();
                if (construct.Kind == '-') { value = Bits.Mod(-value, 5); continue; }
                if (construct.Kind == '(')
                {
                    if (position < text.Length && text[position] == ')') { position++; continue; }
                    if (position >= text.Length || "+-*".IndexOf(text[position]) < 0) throw new FormatException($"an operator or ')' is "
                        + $"missing at position {position + 1}");
                    open.Push(new Open('o', value, text[position++]));
                    break;
                }
                if (position >= text.Length
                    || text[position] != ')') throw new FormatException($"')' is missing at position {position + 1}");
                position++;
                value = construct.Operator switch
                {
                    '+' => Bits.Mod(construct.Left + value, 5),
                    '-' => Bits.Mod(construct.Left - value, 5),
                    _ => Bits.Mod(construct.Left * value, 5),
                };
            }
        }
    }

    /// <summary>A construct still open: a unary '-', a '(' before its first operand, or an operator ('o') awaiting its right
    /// operand.</summary>
    private readonly record struct Open(char Kind, int Left, char Operator);
}
