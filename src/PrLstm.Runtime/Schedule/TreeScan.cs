using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// The full prefix scan of PR-LSTM, with exactly the bracketing of <c>jax.lax.associative_scan</c>: pairs (0,1),
/// (2,3), ... are combined, the scan recurses on the pairs, and the even positions are completed as
/// f(prefix ending at 2k - 1, element 2k). Each level combines all of its pairs in one call of the
/// combine (which may split it: <see cref="InParts{TState, TCombine}"/>), so the number of calls grows with log T, not
/// with T or the batch.
/// </summary>
public static class TreeScan
{
    /// <summary>
    /// All prefix states: position t of the result combines elements 0..t. The combine operator need not be
    /// associative; position 0 passes through untouched. Each recursion level runs in its own dispose scope.
    /// </summary>
    public static TState Prefix<TState, TCombine>(TState elements, TCombine f)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        long length = elements.Length;
        if (length < 2)
            return elements;

        using var scope = NewDisposeScope();
        long pairs = length / 2;
        // R[k] = f(E[2k], E[2k+1]); a trailing odd element is left out.
        var (left, right) = elements.Pairs(pairs);
        TState reduced = f.Combine(left, right);
        // O[k] = the prefix ending at position 2k + 1.
        TState odd = Prefix(reduced, f);
        // V[0] = E[0]; V[k] = f(O[k-1], E[2k]) for the remaining even positions 2, 4, ...
        var even = new List<TState> { elements.Slice(0, 1, 1) };
        TState evenRest = elements.Slice(2, length, 2);
        if (evenRest.Length > 0)
            even.AddRange(f.CombineParts(odd.Slice(0, evenRest.Length, 1), evenRest));
        return TState.Interleave(even, odd).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The prefix states at <paramref name="positions"/> alone (ascending, distinct), with exactly the bracketing of
    /// <see cref="Prefix"/>, computing only the tree nodes they need: for the last position alone that is
    /// <see cref="Reduce.Final"/>'s T - 1 combines. Position k of the result is the prefix ending at positions[k].
    /// </summary>
    /// <remarks>
    /// The scan's nodes are level elements (level 0 the leaves; element j of level l + 1 is f(2j, 2j + 1) of level l)
    /// and level prefixes (prefix t of level l is element 0 at t = 0, prefix (t - 1) / 2 of level l + 1 at odd t, and
    /// f(prefix t / 2 - 1 of level l + 1, element t) at even t). The requested prefixes decide, level by level going
    /// up, which prefixes and elements are needed; elements are then computed going up and prefixes coming down, one
    /// batched combine call per level and kind.
    /// </remarks>
    public static TState At<TState, TCombine>(TState elements, IReadOnlyList<long> positions, TCombine f)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        long length = elements.Length;
        for (int k = 0; k < positions.Count; k++)
            if (positions[k] < 0 || positions[k] >= length || (k > 0 && positions[k] <= positions[k - 1]))
                throw new ArgumentException(
                    $"positions must be ascending, distinct and below the length {length}; got [{string.Join(", ", positions)}]",
                    nameof(positions));
        using var scope = NewDisposeScope();

        // Going up: the prefixes each level needs, and the lengths of the levels.
        var wanted = new List<long[]> { positions.ToArray() };
        var lengths = new List<long> { length };
        while (lengths[^1] >= 2)
        {
            var next = new SortedSet<long>();
            foreach (long t in wanted[^1])
                if (t % 2 == 1) next.Add((t - 1) / 2);
                else if (t > 0) next.Add(t / 2 - 1);
            wanted.Add(next.ToArray());
            lengths.Add(lengths[^1] / 2);
        }
        // Coming down: the elements each level needs (those of even requested prefixes, and the pairs of the level above).
        var needed = new long[wanted.Count][];
        needed[^1] = wanted[^1];
        for (int level = wanted.Count - 2; level >= 0; level--)
        {
            var elementsHere = new SortedSet<long>(wanted[level].Where(t => t % 2 == 0));
            foreach (long j in needed[level + 1]) { elementsHere.Add(2 * j); elementsHere.Add(2 * j + 1); }
            needed[level] = elementsHere.ToArray();
        }

        // Elements, going up: level l + 1's needed elements combine pairs of level l's (one call per level).
        var levelElements = new TState[wanted.Count];
        levelElements[0] = Rows(elements, needed[0]);
        for (int level = 1; level < wanted.Count; level++)
        {
            if (needed[level].Length == 0) { levelElements[level] = levelElements[level - 1].Select(Array.Empty<long>()); continue; }
            var row = RowsOf(needed[level - 1]);
            var (left, right) = PairRows(levelElements[level - 1], needed[level].Select(j => row[2 * j]).ToArray(),
                needed[level].Select(j => row[2 * j + 1]).ToArray());
            levelElements[level] = f.Combine(left, right);
        }

        // Prefixes, coming down: odd ones are the level above's, even ones (but 0) combine it with an element.
        var topRow = RowsOf(needed[^1]);
        TState prefixes = Rows(levelElements[^1], wanted[^1].Select(t => topRow[t]).ToArray());
        for (int level = wanted.Count - 2; level >= 0; level--)
        {
            var above = RowsOf(wanted[level + 1]);
            var elementRow = RowsOf(needed[level]);
            var odd = wanted[level].Where(t => t % 2 == 1).ToArray();
            var even = wanted[level].Where(t => t % 2 == 0 && t > 0).ToArray();
            var parts = new List<TState>();
            var order = new List<long>();
            if (wanted[level].Length > 0 && wanted[level][0] == 0)
            {
                parts.Add(Rows(levelElements[level], new[] { elementRow[0] }));
                order.Add(0);
            }
            if (odd.Length > 0)
            {
                parts.Add(Rows(prefixes, odd.Select(t => above[(t - 1) / 2]).ToArray()));
                order.AddRange(odd);
            }
            if (even.Length > 0)
            {
                parts.Add(f.Combine(Rows(prefixes, even.Select(t => above[t / 2 - 1]).ToArray()),
                    Rows(levelElements[level], even.Select(t => elementRow[t]).ToArray())));
                order.AddRange(even);
            }
            if (parts.Count == 0)
            {
                prefixes = levelElements[level].Select(Array.Empty<long>());
                continue;
            }
            // Back into ascending order of position.
            var gathered = parts.Count == 1 ? parts[0] : TState.Concat(parts);
            var rank = order.Select((t, i) => (t, i)).OrderBy(p => p.t).Select(p => (long)p.i).ToArray();
            prefixes = IsIdentity(rank) ? gathered : gathered.Select(rank);
        }
        return prefixes.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The given rows (ascending) of <paramref name="state"/>: a strided view when they are evenly spaced (the usual case:
    /// the last position, or a run of answer slots, needs every element or every other one), else a copy. With copies,
    /// ForwardAt at the last position took 1.15-1.25x FinalState's time on the same schedule (B = 64, H = 64, T = 100 to
    /// 500, no gradient); with views 0.99-1.01x.
    /// </summary>
    private static TState Rows<TState>(TState state, long[] rows) where TState : IScanState<TState>
    {
        if (rows.Length == 0) return state.Select(rows);
        long step = rows.Length > 1 ? rows[1] - rows[0] : 1;
        if (step < 1) return state.Select(rows);
        for (int i = 2; i < rows.Length; i++)
            if (rows[i] - rows[i - 1] != step) return state.Select(rows);
        // A view even of the whole state: a new tensor in this scope, which the caller may move out of it.
        return state.Slice(rows[0], rows[^1] + 1, step);
    }

    /// <summary>
    /// The rows <paramref name="left"/> and <paramref name="right"/> of <paramref name="state"/>, to be combined pairwise:
    /// as <see cref="IScanState{TSelf}.Pairs"/> when they are the state's first pairs (the usual case: the last position
    /// needs every pair of a level), else each by <see cref="Rows"/>.
    /// </summary>
    private static (TState Left, TState Right) PairRows<TState>(TState state, long[] left, long[] right)
        where TState : IScanState<TState>
    {
        bool firstPairs = true;
        for (int k = 0; k < left.Length && firstPairs; k++)
            firstPairs = left[k] == 2 * k && right[k] == 2 * k + 1;
        return firstPairs ? state.Pairs(left.Length) : (Rows(state, left), Rows(state, right));
    }

    /// <summary>Row of each position in a state holding the given ascending positions.</summary>
    private static Dictionary<long, long> RowsOf(long[] positions)
    {
        var rows = new Dictionary<long, long>(positions.Length);
        for (long i = 0; i < positions.Length; i++) rows[positions[i]] = i;
        return rows;
    }

    private static bool IsIdentity(long[] order)
    {
        for (long i = 0; i < order.Length; i++)
            if (order[i] != i) return false;
        return true;
    }
}
