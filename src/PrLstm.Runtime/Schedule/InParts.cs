using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// A combine that runs in calls of at most <see cref="PairsPerCall"/> positions along the time axis: a decorator
/// around any combine, chosen once per schedule call (<see cref="CpuChunking.Around"/>). The parts compute exactly
/// the values of one call: every pair is independent.
/// </summary>
public readonly struct InParts<TState, TCombine> : IScanCombine<TState>
    where TState : IScanState<TState>
    where TCombine : IScanCombine<TState>
{
    private readonly TCombine inner;

    /// <param name="inner">The combine to split.</param>
    /// <param name="pairsPerCall">The most positions one call of <paramref name="inner"/> takes (at least 1).</param>
    public InParts(TCombine inner, long pairsPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairsPerCall);
        this.inner = inner;
        PairsPerCall = pairsPerCall;
    }

    /// <summary>The most positions one call of the inner combine takes.</summary>
    public long PairsPerCall { get; }

    /// <summary>All pairs, as one state (the parts joined when there are several).</summary>
    public TState Combine(TState left, TState right)
    {
        var parts = CombineParts(left, right);
        if (parts.Count == 1)
            return parts[0];
        using var scope = NewDisposeScope();
        return TState.Concat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>All pairs, as consecutive parts of at most <see cref="PairsPerCall"/> positions.</summary>
    public IReadOnlyList<TState> CombineParts(TState left, TState right)
    {
        long length = left.Length;
        if (PairsPerCall >= length)
            return [inner.Combine(left, right)];
        var parts = new List<TState>((int)((length + PairsPerCall - 1) / PairsPerCall));
        for (long start = 0; start < length; start += PairsPerCall)
        {
            long stop = Math.Min(length, start + PairsPerCall);
            using var scope = NewDisposeScope();
            parts.Add(inner.Combine(left.Slice(start, stop, 1), right.Slice(start, stop, 1)).MoveToOuterDisposeScope());
        }
        return parts;
    }
}
