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
        TState reduced = f.Combine(elements.Slice(0, 2 * pairs, 2), elements.Slice(1, 2 * pairs, 2));
        // O[k] = the prefix ending at position 2k + 1.
        TState odd = Prefix(reduced, f);
        // V[0] = E[0]; V[k] = f(O[k-1], E[2k]) for the remaining even positions 2, 4, ...
        var even = new List<TState> { elements.Slice(0, 1, 1) };
        TState evenRest = elements.Slice(2, length, 2);
        if (evenRest.Length > 0)
            even.AddRange(f.CombineParts(odd.Slice(0, evenRest.Length, 1), evenRest));
        return TState.Interleave(even, odd).MoveToOuterDisposeScope();
    }
}
