namespace PrLstm.Runtime.Tasks;

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
    /// </summary>
    public static int Evaluate(string text, int? x = null)
    {
        int position = 0;
        int value = Expression(text, ref position, x);
        if (position != text.Length) throw new FormatException($"unexpected '{text[position]}' at position {position + 1}");
        return value;
    }

    private static int Expression(string text, ref int position, int? x)
    {
        if (position >= text.Length) throw new FormatException("the expression ends too early");
        char c = text[position];
        if (c is >= '0' and <= '4') { position++; return c - '0'; }
        if (c == 'x' && x is not null) { position++; return x.Value; }
        if (c == '-') { position++; return Bits.Mod(-Expression(text, ref position, x), 5); }
        if (c != '(') throw new FormatException($"unexpected '{c}' at position {position + 1}");
        position++;
        int left = Expression(text, ref position, x);
        if (position < text.Length && text[position] == ')') { position++; return left; }
        if (position >= text.Length || "+-*".IndexOf(text[position]) < 0) throw new FormatException($"an operator or ')' is missing at position {position + 1}");
        char op = text[position++];
        int right = Expression(text, ref position, x);
        if (position >= text.Length || text[position] != ')') throw new FormatException($"')' is missing at position {position + 1}");
        position++;
        return op switch { '+' => Bits.Mod(left + right, 5), '-' => Bits.Mod(left - right, 5), _ => Bits.Mod(left * right, 5) };
    }
}
