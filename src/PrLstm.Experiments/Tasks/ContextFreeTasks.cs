namespace PrLstm.Experiments.Tasks;

/// <summary>
/// stack_manipulation (DCF): an initial stack (bottom to top) then POP / PUSH 0 / PUSH 1 actions; the output is
/// the final stack top to bottom, a terminator, then zeros (n + 1 positions). Spec 2.5.
/// </summary>
public sealed class StackManipulation : FormalTask
{
    public override string Name => "stack_manipulation";
    public override TaskLevel Level => TaskLevel.DCF;
    public override int InputSize => 5;
    public override int OutputSize => 3;
    /// <summary>0, 1 = stack symbols; p = POP; a = PUSH 0; b = PUSH 1.</summary>
    public override string Alphabet => "01pab";
    public override string OutputAlphabet => "01|";
    public override int OutputLength(int n) => n + 1;
    public override bool MasksAfterTerminator => true;

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        if (n == 1)
        {
            var lone = new[] { random.Bit() };
            return new TaskSample(lone, TargetFor(lone));
        }
        int k = random.Uniform(1, n - 1);
        var input = new int[n];
        for (int i = 0; i < k; i++) input[i] = random.Bit();
        for (int i = k; i < n; i++) input[i] = random.Uniform(2, 4);
        return new TaskSample(input, TargetFor(input));
    }

    public override int[] TargetFor(int[] input)
    {
        var stack = new List<int>();
        int i = 0;
        for (; i < input.Length && input[i] <= 1; i++) stack.Add(input[i]);
        for (; i < input.Length; i++)
        {
            switch (input[i])
            {
                case 2: if (stack.Count > 0) stack.RemoveAt(stack.Count - 1); break;
                case 3: stack.Add(0); break;
                case 4: stack.Add(1); break;
                default: throw new FormatException($"stack symbol at position {i + 1} after an action: symbols come first, then actions");
            }
        }
        stack.Reverse();
        stack.Add(2);
        return Bits.Pad(stack, OutputLength(input.Length));
    }
}

/// <summary>reverse_string (DCF): the input reversed. Spec 2.6.</summary>
public sealed class ReverseString : BitStringTask
{
    public override string Name => "reverse_string";
    public override TaskLevel Level => TaskLevel.DCF;
    public override int OutputLength(int n) => n;

    public override int[] TargetFor(int[] input) => input.Reverse().ToArray();
}

/// <summary>
/// modular_arithmetic_brackets (DCF, "Modular Arithmetic" in the NNCH paper): a random bracket expression
/// with + - *, evaluated mod 5. Spec 2.7.
/// </summary>
public sealed class ModularArithmeticBrackets : FormalTask
{
    public override string Name => "modular_arithmetic_brackets";
    public override TaskLevel Level => TaskLevel.DCF;
    public override int InputSize => 11;
    public override int OutputSize => 5;
    /// <summary>Digits, + - *, ( ), and x (never generated).</summary>
    public override string Alphabet => "01234+-*()x";
    public override string OutputAlphabet => "01234";

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        var (text, value) = BracketExpressions.Generate(random, n, multiplication: true);
        return new TaskSample(Parse(text), new[] { value });
    }

    public override int[] TargetFor(int[] input) =>
        new[] { BracketExpressions.Evaluate(new string(input.Select(t => Alphabet[t]).ToArray())) };
}

/// <summary>
/// solve_equation (DCF): a bracket expression with + and - whose digit at a random position is replaced by x,
/// followed by '=' and the expression's value; the target is the hidden digit. Spec 2.8.
/// </summary>
public sealed class SolveEquation : FormalTask
{
    public override string Name => "solve_equation";
    public override TaskLevel Level => TaskLevel.DCF;
    public override int InputSize => 11;
    public override int OutputSize => 5;
    /// <summary>Digits, + -, ( ), x, = (no '*', and ids differ from modular_arithmetic_brackets').</summary>
    public override string Alphabet => "01234+-()x=";
    public override string OutputAlphabet => "01234";

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        if (n < 3) return new TaskSample(new int[n], new[] { 0 }); // the reference's degenerate constant batch
        var (text, value) = BracketExpressions.Generate(random, n - 2, multiplication: false);
        int index = random.Uniform(0, n - 3);
        while (!char.IsDigit(text[index])) index = (index + 1) % (n - 2);
        int digit = text[index] - '0';
        string equation = text.Substring(0, index) + "x" + text.Substring(index + 1) + "=" + (char)('0' + value);
        return new TaskSample(Parse(equation), new[] { digit });
    }

    public override int[] TargetFor(int[] input)
    {
        if (input.Length < 3) return new[] { 0 };
        string text = new(input.Select(t => Alphabet[t]).ToArray());
        int equals = text.IndexOf('=');
        if (equals != text.Length - 2 || !char.IsDigit(text[^1]) || text.Count(c => c == 'x') != 1)
            throw new FormatException("an equation is an expression with one x, then '=' and one digit");
        int value = text[^1] - '0';
        // x has coefficient ±1 (only + and -), so exactly one digit solves it.
        var solutions = Enumerable.Range(0, 5).Where(d => BracketExpressions.Evaluate(text[..equals], d) == value).ToList();
        if (solutions.Count != 1) throw new FormatException($"the equation has {solutions.Count} solutions mod 5");
        return new[] { solutions[0] };
    }
}
