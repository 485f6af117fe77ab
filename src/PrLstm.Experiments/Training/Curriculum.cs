namespace PrLstm.Experiments.Training;

/// <summary>
/// The training lengths of spec section 3: the first <c>maxLength</c> steps use each length 1..maxLength once, in
/// a random order (the fork's JIT warm-up); every later step draws a length uniformly from 1..maxLength.
/// The permutation depends only on the seed, so a resumed run recomputes it.
/// </summary>
public sealed class Curriculum
{
    private readonly int[] _warmUp;

    public Curriculum(int maxLength, ulong seed)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "the longest training length must be at "
            + "least 1");
        MaxLength = maxLength;
        _warmUp = new Tasks.TaskRandom(seed ^ 0x5DEECE66DUL).Permutation(Enumerable.Range(1, maxLength));
    }

    public int MaxLength { get; }

    /// <summary>The length of training step <paramref name="step"/> (0-based).</summary>
    public int Length(long step, Tasks.TaskRandom random) =>
        step < _warmUp.Length ? _warmUp[step] : random.Uniform(1, MaxLength);
}
