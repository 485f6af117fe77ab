namespace PrLstm.Experiments.Tests;

/// <summary>Every worked example of spec section 2, as (task, input, target).</summary>
public class TaskExampleTests
{
    private static int[] Ids(string digits) => digits.Select(c => c - '0').ToArray();

    public static TheoryData<string, string, string> Examples() => new()
    {
        // 2.1 even_pairs
        { "even_pairs", "0", "0" }, { "even_pairs", "011", "1" }, { "even_pairs", "0110", "0" },
        { "even_pairs", "001110", "0" }, { "even_pairs", "0101001", "1" },
        // 2.2 modular_arithmetic (ids: + 5, - 6, * 7)
        { "modular_arithmetic", "3", "3" }, { "modular_arithmetic", "15273", "2" }, { "modular_arithmetic", "16161", "4" },
        { "modular_arithmetic", "071547362", "0" }, { "modular_arithmetic", "26374", "0" }, { "modular_arithmetic", "3726472", "3" },
        // 2.3 parity_check
        { "parity_check", "1010100", "1" }, { "parity_check", "01111", "0" }, { "parity_check", "0", "0" },
        // 2.4 cycle_navigation
        { "cycle_navigation", "2220", "2" }, { "cycle_navigation", "20100", "3" }, { "cycle_navigation", "0", "4" },
        // 2.5 stack_manipulation
        { "stack_manipulation", "0110422", "11020000" }, { "stack_manipulation", "110222", "2000000" },
        { "stack_manipulation", "13", "012" }, { "stack_manipulation", "0224", "12000" }, { "stack_manipulation", "0", "02" },
        // 2.6 reverse_string
        { "reverse_string", "011010", "010110" }, { "reverse_string", "10", "01" }, { "reverse_string", "1", "1" },
        // 2.7 modular_arithmetic_brackets (( 8, ) 9)
        { "modular_arithmetic_brackets", "3", "3" }, { "modular_arithmetic_brackets", "63", "2" },
        { "modular_arithmetic_brackets", "84739", "2" }, { "modular_arithmetic_brackets", "8625649", "4" },
        { "modular_arithmetic_brackets", "886197639", "3" },
        // 2.8 solve_equation (( 7, ) 8, x 9, = 10: written here as ':' = '0' + 10)
        { "solve_equation", "9:4", "4" }, { "solve_equation", "69:3", "2" }, { "solve_equation", "73698:4", "4" },
        // 2.9 duplicate_string
        { "duplicate_string", "101", "101101" }, { "duplicate_string", "1", "11" }, { "duplicate_string", "10", "1010" },
        // 2.10 missing_duplicate_string
        { "missing_duplicate_string", "01100210", "1" }, { "missing_duplicate_string", "1011213", "0" },
        { "missing_duplicate_string", "21", "1" }, { "missing_duplicate_string", "023", "0" },
        // 2.11 odds_first (code semantics)
        { "odds_first", "00110101", "01110100" }, { "odds_first", "110", "110" }, { "odds_first", "011", "101" },
        { "odds_first", "10", "01" }, { "odds_first", "1", "1" },
        // 2.12 binary_addition
        { "binary_addition", "11210", "001200" }, { "binary_addition", "001201101", "0101120000" },
        { "binary_addition", "00", "020" }, { "binary_addition", "10", "120" }, { "binary_addition", "01", "012" },
        { "binary_addition", "0", "02" },
        // 2.13 binary_multiplication
        { "binary_multiplication", "121", "120" }, { "binary_multiplication", "11211", "10012" },
        { "binary_multiplication", "001201101", "000110120" }, { "binary_multiplication", "0", "2" },
        { "binary_multiplication", "10", "02" }, { "binary_multiplication", "01", "02" },
        // 2.14 compute_sqrt
        { "compute_sqrt", "100101", "110" }, { "compute_sqrt", "111", "10" }, { "compute_sqrt", "1", "1" },
            { "compute_sqrt", "0011", "01" },
        // 2.15 bucket_sort
        { "bucket_sort", "10204112", "00111224" }, { "bucket_sort", "42", "24" }, { "bucket_sort", "3", "3" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void SpecExample(string task, string input, string target)
    {
        var formal = FormalTasks.Get(task);
        var expected = Ids(target);
        Assert.Equal(expected, formal.TargetFor(Ids(input)));
        Assert.Equal(formal.OutputLength(formal.InputLength(input.Length)), expected.Length);
    }

    [Theory]
    [InlineData("stack_manipulation", "11020000", new float[] { 1, 1, 1, 1, 0, 0, 0, 0 })]
    [InlineData("stack_manipulation", "2000000", new float[] { 1, 0, 0, 0, 0, 0, 0 })]
    [InlineData("binary_addition", "001200", new float[] { 1, 1, 1, 1, 0, 0 })]
    [InlineData("reverse_string", "0101", new float[] { 1, 1, 1, 1 })]
    public void AccuracyMaskStopsAfterTheFirstTerminator(string task, string target, float[] mask) =>
        Assert.Equal(mask, FormalTasks.Get(task).Mask(Ids(target)));

    [Fact]
    public void ModularArithmeticEvenLengthIsOneShorter()
    {
        var task = FormalTasks.Get("modular_arithmetic");
        Assert.Equal(1, task.InputLength(2));
        Assert.Equal(41, task.InputLength(42));
        Assert.All(task.SampleBatch(new TaskRandom(1), 8, 42), s => Assert.Equal(41, s.Input.Length));
    }

    [Fact]
    public void DegenerateShortLengthsFollowTheReference()
    {
        var random = new TaskRandom(5);
        Assert.All(FormalTasks.Get("solve_equation").SampleBatch(random, 20, 2),
            s => { Assert.Equal(new[] { 0, 0 }, s.Input); Assert.Equal(new[] { 0 }, s.Target); });
        Assert.All(FormalTasks.Get("missing_duplicate_string").SampleBatch(random, 20, 1),
            s => { Assert.Equal(new[] { 1 }, s.Input); Assert.Equal(new[] { 1 }, s.Target); });
        Assert.All(FormalTasks.Get("binary_addition").SampleBatch(random, 20, 1),
            s => { Assert.Equal(new[] { 0 }, s.Input); Assert.Equal(new[] { 0, 2 }, s.Target); });
        Assert.All(FormalTasks.Get("binary_multiplication").SampleBatch(random, 20, 2), s => Assert.Equal(new[] { 0, 2 }, s.Target));
        var twoBit = FormalTasks.Get("binary_addition").SampleBatch(random, 200, 2);
        Assert.DoesNotContain(twoBit, s => s.Input.Contains(2)); // no '+' at n = 2
        Assert.Equal(new[] { 0, 1, 2 }, twoBit.Select(s => s.Input[0] + 2 * s.Input[1]).Distinct().Order());
        Assert.All(FormalTasks.Get("stack_manipulation").SampleBatch(random, 20, 1),
            s => Assert.True(s.Input.Length == 1 && s.Input[0] <= 1));
    }

    [Fact]
    public void SolveEquationPicksTheFirstDigitAtOrAfterAUniformPosition()
    {
        // Spec 2.8: for an expression "(a±b)" (n = 7), the start position is uniform over 0..4 and the first
        // digit at or cyclically after it is hidden, so 'a' is hidden for starts 0, 1, 4 (probability 3/5).
        var task = FormalTasks.Get("solve_equation");
        var random = new TaskRandom(9);
        int threeFirst = 0, total = 0;
        foreach (var sample in task.SampleBatch(random, 4000, 7))
        {
            string text = new(sample.Input.Select(t => task.Alphabet[t]).ToArray());
            if (!text.StartsWith("(") || text[2] != '-' && text[2] != '+') continue; // "(a±b)=v" shapes only
            total++;
            if (text[1] == 'x') threeFirst++;
        }
        Assert.InRange(threeFirst / (double)total, 0.55, 0.65);
    }
}
