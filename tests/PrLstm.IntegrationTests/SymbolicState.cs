using PrLstm.Runtime.Schedule;

namespace PrLstm.IntegrationTests;

/// <summary>
/// A scan state made of strings, so that the runtime schedules can be run symbolically: combining "a" and "b"
/// gives "f(a,b)". Counts how many combines and how many batched calls a schedule makes, and (on the calling thread)
/// how many copies it takes of some positions (<see cref="Select"/>, where a tensor state gathers rows) and how it takes
/// a level's pairs (<see cref="Pairs"/>, or strided slices).
/// </summary>
public readonly record struct SymbolicState(string[] Items) : IScanState<SymbolicState>
{
    [ThreadStatic] private static int _copies, _pairSlices, _pairs;

    /// <summary>Calls of <see cref="Select"/> with at least one position on this thread since the last <see cref="ResetCounts"/>.</summary>
    public static int Copies => _copies;

    /// <summary>
    /// Calls of <see cref="Slice"/> with step 2 from position 0 or 1 on this thread since the last <see cref="ResetCounts"/>:
    /// the left or the right elements of a level's pairs taken as a strided slice of their own.
    /// </summary>
    public static int PairSlices => _pairSlices;

    /// <summary>Calls of <see cref="Pairs"/> on this thread since the last <see cref="ResetCounts"/>.</summary>
    public static int PairCalls => _pairs;

    public static void ResetCounts() => _copies = _pairSlices = _pairs = 0;

    public long Length => Items.Length;

    public static SymbolicState Leaves(int count) => new(Enumerable.Range(0, count).Select(i => "x" + i).ToArray());

    public SymbolicState Slice(long start, long stop, long step)
    {
        if (step == 2 && start <= 1) _pairSlices++;
        return Positions(start, stop, step);
    }

    public (SymbolicState Left, SymbolicState Right) Pairs(long n)
    {
        Assert.InRange(2 * n, 0, Items.Length);
        _pairs++;
        return (Positions(0, 2 * n, 2), Positions(1, 2 * n, 2));
    }

    private SymbolicState Positions(long start, long stop, long step)
    {
        var items = new List<string>();
        for (long i = start; i < Math.Min(stop, Items.Length); i += step) items.Add(Items[i]);
        return this with { Items = items.ToArray() };
    }

    public SymbolicState MoveToOuterDisposeScope() => this;

    public SymbolicState Select(IReadOnlyList<long> positions)
    {
        if (positions.Count > 0) _copies++;
        var items = Items;
        return this with { Items = positions.Select(p => items[p]).ToArray() };
    }

    public static SymbolicState Interleave(IReadOnlyList<SymbolicState> evenParts, SymbolicState odd)
    {
        var even = Concat(evenParts);
        Assert.True(even.Length == odd.Length || even.Length == odd.Length + 1);
        var items = new List<string>();
        for (int k = 0; k < even.Length; k++)
        {
            items.Add(even.Items[k]);
            if (k < odd.Length) items.Add(odd.Items[k]);
        }
        return odd with { Items = items.ToArray() };
    }

    public static SymbolicState Concat(IReadOnlyList<SymbolicState> parts)
        => parts[0] with { Items = parts.SelectMany(p => p.Items).ToArray() };
}

/// <summary>f(a, b) as text; records the number of applications and of batched calls.</summary>
public sealed class SymbolicCombine : IScanCombine<SymbolicState>
{
    public int Applications { get; private set; }

    public int Calls { get; private set; }

    public SymbolicState Combine(SymbolicState left, SymbolicState right)
    {
        Assert.Equal(left.Length, right.Length);
        Calls++;
        Applications += left.Items.Length;
        return left with { Items = left.Items.Zip(right.Items, (a, b) => $"f({a},{b})").ToArray() };
    }

    /// <summary>Nesting depth of f in a tree string.</summary>
    public static int Depth(string tree)
    {
        int depth = 0, max = 0;
        foreach (char ch in tree)
        {
            if (ch == '(') max = Math.Max(max, ++depth);
            else if (ch == ')') depth--;
        }
        return max;
    }
}
