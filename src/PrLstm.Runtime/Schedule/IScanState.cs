namespace PrLstm.Runtime.Schedule;

/// <summary>
/// A batch of states laid out along a time axis, as the schedules need it. Generated <c>State.Tensors</c>
/// records implement it over tensors <c>[B, T, size]</c> (time is dimension 1); tests implement it over
/// strings to check the bracketing symbolically.
/// </summary>
public interface IScanState<TSelf> where TSelf : IScanState<TSelf>
{
    /// <summary>Number of positions T.</summary>
    long Length { get; }

    /// <summary>Positions start, start + step, ... below stop (a view where possible).</summary>
    TSelf Slice(long start, long stop, long step);

    /// <summary>The given positions, in that order (a copy).</summary>
    TSelf Select(IReadOnlyList<long> positions);

    /// <summary>
    /// Positions 0, 2, ..., 2n - 2 and 1, 3, ..., 2n - 1: the left and right elements of the scan's first n pairs,
    /// equal to <c>Slice(0, 2n, 2)</c> and <c>Slice(1, 2n, 2)</c> (views where possible).
    /// </summary>
    (TSelf Left, TSelf Right) Pairs(long n) => (Slice(0, 2 * n, 2), Slice(1, 2 * n, 2));

    /// <summary>Moves the state's tensors to the enclosing dispose scope (a no-op for non-tensor states).</summary>
    TSelf MoveToOuterDisposeScope();

    /// <summary>
    /// result[2k] = even[k], result[2k + 1] = odd[k], where even is <paramref name="evenParts"/> one after the other;
    /// even has as many positions as odd, or one more.
    /// </summary>
    static abstract TSelf Interleave(IReadOnlyList<TSelf> evenParts, TSelf odd);

    /// <summary>The parts one after the other on the time axis.</summary>
    static abstract TSelf Concat(IReadOnlyList<TSelf> parts);
}

/// <summary>The combine operator f(left, right) of a scan; left is the earlier segment. Applied to N pairs at once.</summary>
public interface IScanCombine<TState>
{
    /// <summary>Combines position k of <paramref name="left"/> with position k of <paramref name="right"/>, for every k.</summary>
    TState Combine(TState left, TState right);

    /// <summary>
    /// <see cref="Combine"/> as consecutive parts along the time axis, for a caller that only needs the parts (the
    /// tree scan interleaves them without joining them first). One part unless the combine splits its calls
    /// (<see cref="InParts{TState, TCombine}"/>).
    /// </summary>
    IReadOnlyList<TState> CombineParts(TState left, TState right) => [Combine(left, right)];
}
