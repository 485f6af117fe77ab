using System.Numerics;

namespace PrLstm.Experiments.Tasks;

/// <summary>duplicate_string (CS): the input twice (2n outputs). Spec 2.9.</summary>
public sealed class DuplicateString : BitStringTask
{
    public override string Name => "duplicate_string";
    public override TaskLevel Level => TaskLevel.CS;
    public override int OutputLength(int n) => 2 * n;

    public override int[] TargetFor(int[] input) => input.Concat(input).ToArray();
}

/// <summary>
/// missing_duplicate_string (CS): a string written twice with one symbol replaced by a placeholder (2), plus a
/// pad (3) for odd n; the target is the missing symbol. Spec 2.10.
/// </summary>
public sealed class MissingDuplicateString : FormalTask
{
    public override string Name => "missing_duplicate_string";
    public override TaskLevel Level => TaskLevel.CS;
    public override int InputSize => 4;
    public override int OutputSize => 2;
    /// <summary>0, 1 = bits; ? = the missing symbol; _ = pad.</summary>
    public override string Alphabet => "01?_";

    /// <summary>The reference draws all the strings of the batch first, then all the indices.</summary>
    public override IReadOnlyList<TaskSample> SampleBatch(TaskRandom random, int batchSize, int n)
    {
        CheckLength(n);
        if (n == 1) return Enumerable.Range(0, batchSize).Select(_ => new TaskSample(new[] { 1 }, new[] { 1 })).ToArray();
        int k = n / 2;
        var words = Enumerable.Range(0, batchSize).Select(_ => Bits.Random(random, k)).ToArray();
        var indices = Enumerable.Range(0, batchSize).Select(_ => random.Uniform(0, 2 * k - 1)).ToArray();
        var batch = new TaskSample[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            var doubled = words[b].Concat(words[b]).ToList();
            int target = doubled[indices[b]];
            doubled[indices[b]] = 2;
            if (n % 2 == 1) doubled.Add(3);
            batch[b] = new TaskSample(doubled.ToArray(), new[] { target });
        }
        return batch;
    }

    protected override TaskSample Sample(TaskRandom random, int n) => SampleBatch(random, 1, n)[0];

    public override int[] TargetFor(int[] input)
    {
        if (input.Length == 1) return new[] { 1 };
        int k = input.Length / 2;
        int missing = Array.IndexOf(input, 2);
        if (missing < 0 || missing >= 2 * k) throw new FormatException("the input has no missing symbol '?' in its first 2k positions");
        return new[] { input[(missing + k) % (2 * k)] };
    }
}

/// <summary>odds_first (CS): tokens at 0-based odd positions, then those at even positions (the code's semantics). Spec 2.11.</summary>
public sealed class OddsFirst : BitStringTask
{
    public override string Name => "odds_first";
    public override TaskLevel Level => TaskLevel.CS;
    public override int OutputLength(int n) => n;

    public override int[] TargetFor(int[] input) =>
        input.Where((_, i) => i % 2 == 1).Concat(input.Where((_, i) => i % 2 == 0)).ToArray();
}

/// <summary>
/// binary_addition and binary_multiplication (CS): two little-endian numbers of fixed widths a and n - 1 - a
/// separated by '+'; the target is the minimal little-endian result, a terminator (2), then zeros. Spec 2.12-2.13.
/// </summary>
public abstract class BinaryArithmetic : FormalTask
{
    public override TaskLevel Level => TaskLevel.CS;
    public override int InputSize => 3;
    public override int OutputSize => 3;
    /// <summary>0, 1 = bits (least significant first); + separates the operands.</summary>
    public override string Alphabet => "01+";
    public override string OutputAlphabet => "01|";
    public override bool MasksAfterTerminator => true;

    protected abstract BigInteger Combine(BigInteger x, BigInteger y);

    /// <summary>The fixed answers for n ≤ 2, where the input has no '+'.</summary>
    protected abstract int[] ShortTarget(BigInteger value, int n);

    /// <summary>Widths for the batch first, then every x, then every y (the reference's draw order).</summary>
    public override IReadOnlyList<TaskSample> SampleBatch(TaskRandom random, int batchSize, int n)
    {
        CheckLength(n);
        var batch = new TaskSample[batchSize];
        if (n <= 2)
        {
            for (int b = 0; b < batchSize; b++)
            {
                // n = 1: U{0..2^1 - 2} is always 0; n = 2: U{0, 1, 2}, written as exactly 2 bits.
                int value = n == 1 ? 0 : random.Uniform(0, 2);
                var input = Bits.ToLittleEndian(value, n);
                batch[b] = new TaskSample(input, TargetFor(input));
            }
            return batch;
        }
        var widths = Enumerable.Range(0, batchSize).Select(_ => random.Uniform(1, n - 2)).ToArray();
        var xs = widths.Select(a => Bits.NonZero(random, a)).ToArray();
        var ys = widths.Select(a => Bits.NonZero(random, n - 1 - a)).ToArray();
        for (int b = 0; b < batchSize; b++)
        {
            var input = xs[b].Append(2).Concat(ys[b]).ToArray();
            batch[b] = new TaskSample(input, TargetFor(input));
        }
        return batch;
    }

    protected override TaskSample Sample(TaskRandom random, int n) => SampleBatch(random, 1, n)[0];

    public override int[] TargetFor(int[] input)
    {
        int plus = Array.IndexOf(input, 2);
        if (input.Length <= 2)
        {
            if (plus >= 0) throw new FormatException("inputs of length 1 or 2 are a bare number, without '+'");
            return ShortTarget(Bits.FromLittleEndian(input), input.Length);
        }
        if (plus <= 0 || plus == input.Length - 1 || Array.IndexOf(input, 2, plus + 1) >= 0)
            throw new FormatException("the input is two binary numbers separated by one '+'");
        var x = Bits.FromLittleEndian(input[..plus]);
        var y = Bits.FromLittleEndian(input[(plus + 1)..]);
        return Bits.Pad(Bits.ToLittleEndianMinimal(Combine(x, y)).Append(2), OutputLength(input.Length));
    }
}

/// <summary>binary_addition: x + y; n + 1 outputs.</summary>
public sealed class BinaryAddition : BinaryArithmetic
{
    public override string Name => "binary_addition";
    public override int OutputLength(int n) => n + 1;
    protected override BigInteger Combine(BigInteger x, BigInteger y) => x + y;
    protected override int[] ShortTarget(BigInteger value, int n) => Bits.Pad(Bits.ToLittleEndianMinimal(value).Append(2), n + 1);
}

/// <summary>binary_multiplication: x · y; n outputs; for n ≤ 2 the reference's fixed answers ([2], [0, 2]).</summary>
public sealed class BinaryMultiplication : BinaryArithmetic
{
    public override string Name => "binary_multiplication";
    public override int OutputLength(int n) => n;
    protected override BigInteger Combine(BigInteger x, BigInteger y) => x * y;
    protected override int[] ShortTarget(BigInteger value, int n) => n == 1 ? new[] { 2 } : new[] { 0, 2 };
}

/// <summary>compute_sqrt (CS): floor(sqrt(m)) of a big-endian n-bit m ≥ 1, as ceil(n/2) big-endian bits. Spec 2.14.</summary>
public sealed class ComputeSqrt : FormalTask
{
    public override string Name => "compute_sqrt";
    public override TaskLevel Level => TaskLevel.CS;
    public override int InputSize => 2;
    public override int OutputSize => 2;
    public override string Alphabet => "01";
    public override int OutputLength(int n) => (n + 1) / 2;

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        var value = Bits.FromLittleEndian(Bits.NonZero(random, n));
        var input = Bits.ToBigEndian(value, n);
        return new TaskSample(input, TargetFor(input));
    }

    public override int[] TargetFor(int[] input) =>
        Bits.ToBigEndian(Bits.IntegerSqrt(Bits.FromBigEndian(input)), OutputLength(input.Length));
}

/// <summary>bucket_sort (CS): the tokens 0..4 sorted ascending. Spec 2.15.</summary>
public sealed class BucketSort : FormalTask
{
    public override string Name => "bucket_sort";
    public override TaskLevel Level => TaskLevel.CS;
    public override int InputSize => 5;
    public override int OutputSize => 5;
    public override string Alphabet => "01234";
    public override int OutputLength(int n) => n;

    protected override TaskSample Sample(TaskRandom random, int n)
    {
        var input = new int[n];
        for (int i = 0; i < n; i++) input[i] = random.Uniform(0, 4);
        return new TaskSample(input, TargetFor(input));
    }

    public override int[] TargetFor(int[] input) => input.Order().ToArray();
}
