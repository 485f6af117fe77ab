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

    /// <summary>
    /// Bytes one time position takes across the batch and all fields when the state lives in CPU memory; 0 where
    /// the schedules should not split their calls (other devices, symbolic states). See <see cref="CpuSplit"/>.
    /// </summary>
    long CpuBytesPerPosition { get; }

    /// <summary>Positions start, start + step, ... below stop (a view where possible).</summary>
    TSelf Slice(long start, long stop, long step);

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
}
