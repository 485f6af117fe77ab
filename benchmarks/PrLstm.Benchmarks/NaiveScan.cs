using PrLstm.Runtime.Schedule;
using static TorchSharp.torch;

namespace PrLstm.Benchmarks;

/// <summary>
/// The node-by-node yardstick: the same bracketing as <see cref="TreeScan"/> (the closed form of spec section 6),
/// but one combine call per tree node on single positions, as a direct recursive implementation would do it.
/// </summary>
public static class NaiveScan
{
    /// <summary>The scan with a model's combine method, e.g. <c>NaiveScan.Prefix(model.Encode(x), model.Combine)</c>.</summary>
    public static TState Prefix<TState>(TState leaves, Func<TState, TState, TState> combine)
        where TState : IScanState<TState> =>
        Prefix(leaves, new DelegateCombine<TState>(combine));

    private readonly struct DelegateCombine<TState>(Func<TState, TState, TState> combine) : IScanCombine<TState>
    {
        public TState Combine(TState left, TState right) => combine(left, right);
    }

    public static TState Prefix<TState, TCombine>(TState leaves, TCombine f)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        using var scope = NewDisposeScope();
        long length = leaves.Length;
        var levels = new List<List<TState>> { Enumerable.Range(0, (int)length).Select(t => leaves.Slice(t, t + 1, 1)).ToList() };
        var memo = new Dictionary<(int, long), TState>();
        TState Element(int level, long k)
        {
            while (levels.Count <= level) levels.Add(new List<TState>());
            while (levels[level].Count <= k)
            {
                long next = levels[level].Count;
                levels[level].Add(f.Combine(Element(level - 1, 2 * next), Element(level - 1, 2 * next + 1)));
            }
            return levels[level][(int)k];
        }
        TState Tree(int level, long t)
        {
            if (memo.TryGetValue((level, t), out var known)) return known;
            var node = t == 0 ? Element(level, 0) : t % 2 == 0 ? f.Combine(Tree(level, t - 1), Element(level, t))
                : Tree(level + 1, (t - 1) / 2);
            memo[(level, t)] = node;
            return node;
        }
        var prefixes = new List<TState>();
        for (long t = 0; t < length; t++) prefixes.Add(Tree(0, t));
        return TState.Concat(prefixes).MoveToOuterDisposeScope();
    }
}

/// <summary>A state that is only a length: runs a schedule to count its combine applications (for FLOP counts).</summary>
public readonly record struct CountingState(long Length) : IScanState<CountingState>
{
    public CountingState Slice(long start, long stop, long step) => new(Math.Max(0, (Math.Min(stop, Length) - start + step - 1) / step));
    public CountingState MoveToOuterDisposeScope() => this;
    public CountingState Select(IReadOnlyList<long> positions) => new(positions.Count);
    public static CountingState Interleave(IReadOnlyList<CountingState> evenParts, CountingState odd)
        => new(evenParts.Sum(p => p.Length) + odd.Length);
    public static CountingState Concat(IReadOnlyList<CountingState> parts) => new(parts.Sum(p => p.Length));
}

/// <summary>Counts the pairs combined (one application per pair).</summary>
public sealed class CountingCombine : IScanCombine<CountingState>
{
    public long Applications { get; private set; }

    public CountingState Combine(CountingState left, CountingState right)
    {
        Applications += left.Length;
        return left;
    }

    public static long Tree(long length)
    {
        var c = new CountingCombine(); TreeScan.Prefix(new CountingState(length),
        c); return c.Applications;
    }

    public static long Final(long length)
    {
        var c = new CountingCombine(); Reduce.Final(new CountingState(length),
        c); return c.Applications;
    }
}
