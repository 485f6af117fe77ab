namespace PrLstm.Experiments.Tasks;

/// <summary>
/// The seeded random stream of task sampling and curricula: xoshiro256** seeded by SplitMix64. Unlike
/// <see cref="Random"/>, its state can be saved and restored (<see cref="State"/>), so a resumed training run
/// draws exactly the batches an uninterrupted run would. Bounded draws are unbiased (rejection sampling).
/// </summary>
public sealed class TaskRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public TaskRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    private TaskRandom() { }

    /// <summary>The generator's state, four numbers; <see cref="FromState"/> continues the same stream.</summary>
    public ulong[] State => new[] { _s0, _s1, _s2, _s3 };

    public static TaskRandom FromState(IReadOnlyList<ulong> state)
    {
        if (state.Count != 4 || state.All(s => s == 0))
            throw new ArgumentException("A TaskRandom state is four numbers, not all zero.", nameof(state));
        return new TaskRandom { _s0 = state[0], _s1 = state[1], _s2 = state[2], _s3 = state[3] };
    }

    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform integer in [<paramref name="low"/>, <paramref name="high"/>], both included.</summary>
    public int Uniform(int low, int high)
    {
        if (high < low) throw new ArgumentOutOfRangeException(nameof(high), $"empty range [{low}, {high}]");
        ulong span = (ulong)((long)high - low) + 1;
        ulong limit = ulong.MaxValue - ulong.MaxValue % span; // reject the incomplete last block
        ulong draw;
        do draw = NextUInt64(); while (draw >= limit);
        return (int)((long)low + (long)(draw % span));
    }

    /// <summary>A fair bit, 0 or 1.</summary>
    public int Bit() => (int)(NextUInt64() >> 63);

    /// <summary>A random permutation of the given items (Fisher-Yates).</summary>
    public T[] Permutation<T>(IEnumerable<T> items)
    {
        var array = items.ToArray();
        for (int i = array.Length - 1; i > 0; i--)
        {
            int j = Uniform(0, i);
            (array[i], array[j]) = (array[j], array[i]);
        }
        return array;
    }

    /// <summary>A 64-bit seed for another generator (e.g. torch's), drawn from this stream.</summary>
    public long NextSeed() => (long)(NextUInt64() >> 1);

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
