namespace PrLstm.Experiments.Tasks;

/// <summary>even_pairs (R): is the number of unequal neighbouring pairs even? Spec 2.1.</summary>
public sealed class EvenPairs : BitStringTask
{
    public override string Name => "even_pairs";
    public override TaskLevel Level => TaskLevel.R;

    public override int[] TargetFor(int[] input)
    {
        int unequal = 0;
        for (int i = 0; i + 1 < input.Length; i++) if (input[i] != input[i + 1]) unequal++;
        return new[] { unequal % 2 };
    }
}

/// <summary>parity_check (R): number of 1s mod 2. Spec 2.3.</summary>
public sealed class ParityCheck : BitStringTask
{
    public override string Name => "parity_check";
    public override TaskLevel Level => TaskLevel.R;

    public override int[] TargetFor(int[] input) => new[] { input.Count(b => b == 1) % 2 };
}

/// <summary>
/// cycle_navigation (R): a walk on a cycle of 5 from position 0. Token t moves by t - 1: 0 = left, 1 = stay,
/// 2 = right (the code's encoding; the NNCH docstring differs). Spec 2.4.
/// </summary>
public sealed class CycleNavigation : FormalTask
{
    public override string Name => "cycle_navigation";
    public override TaskLevel Level => TaskLevel.R;
    public override int InputSize => 3;
    public override int OutputSize => 5;
    public override string Alphabet => "LSR";
    public override string OutputAlphabet => "01234";

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        var input = new int[n];
        for (int i = 0; i < n; i++) input[i] = random.Uniform(0, 2);
        return new TaskSample(input, TargetFor(input));
    }

    public override int[] TargetFor(int[] input) => new[] { Bits.Mod(input.Sum(t => t - 1), 5) };
}

/// <summary>
/// modular_arithmetic (R, "Modular Arithmetic (Simple)"): digits 0..4 and operators + * -, evaluated with the
/// usual precedence, mod 5. An even n gives an input of n - 1 tokens. Spec 2.2.
/// </summary>
public sealed class ModularArithmetic : FormalTask
{
    public override string Name => "modular_arithmetic";
    public override TaskLevel Level => TaskLevel.R;
    public override int InputSize => 9;
    public override int OutputSize => 5;
    /// <summary>Digits, then + - *, then the blank '_' (never generated).</summary>
    public override string Alphabet => "01234+-*_";
    public override string OutputAlphabet => "01234";
    public override int InputLength(int n) => n % 2 == 0 ? n - 1 : n;

    private static readonly int[] Operators = { 5, 7, 6 }; // +, *, - drawn uniformly

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        int length = InputLength(n);
        var input = new int[length];
        for (int i = 0; i < length; i += 2) input[i] = random.Uniform(0, 4);
        for (int i = 1; i < length; i += 2) input[i] = Operators[random.Uniform(0, 2)];
        return new TaskSample(input, TargetFor(input));
    }

    public override int[] TargetFor(int[] input)
    {
        // Terms are products; a '-' negates the next operand only; sum the terms mod 5. Blanks (never
        // generated) count as '+' between operands and 0 as operands, as in the reference.
        int Operand(int token) => token <= 4 ? token : 0;
        int sum = 0, term = Operand(input[0]);
        for (int i = 1; i + 1 < input.Length; i += 2)
        {
            int next = Operand(input[i + 1]);
            switch (input[i])
            {
                case 7: term = Bits.Mod(term * next, 5); break;
                case 6: sum = Bits.Mod(sum + term, 5); term = Bits.Mod(-next, 5); break;
                default: sum = Bits.Mod(sum + term, 5); term = next; break;
            }
        }
        return new[] { Bits.Mod(sum + term, 5) };
    }
}
