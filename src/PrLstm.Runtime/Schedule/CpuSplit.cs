using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// How the models call their layers on many positions at once. On a GPU a tree level (or the token encoder) is one
/// call. On the CPU a large call is split along the time axis into calls of at most <see cref="CpuBudgetBytes"/>
/// of state each: the gate projections and activations of a piece then stay in the cache and in memory the
/// allocator reuses, instead of fresh pages for every tensor of a whole level (measured in docs/performance.md).
/// The pieces compute exactly the same values as one call: every pair, and every token, is independent.
/// </summary>
public static class CpuSplit
{
    private static long cpuBudgetBytes = 4L << 20;

    /// <summary>
    /// The most state bytes (both operands, all fields, the whole batch) one combine call takes on the CPU; 4 MiB by
    /// default. Process-wide; tests lower it to exercise the split.
    /// </summary>
    public static long CpuBudgetBytes
    {
        get => Interlocked.Read(ref cpuBudgetBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Interlocked.Exchange(ref cpuBudgetBytes, value);
        }
    }

    /// <summary>f(left, right) over all pairs, as consecutive parts along the time axis (one part unless split).</summary>
    public static List<TState> CombineInParts<TState, TCombine>(TCombine f, TState left, TState right)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        long length = left.Length;
        long pairsPerCall = ItemsPerCall(left.CpuBytesPerPosition + right.CpuBytesPerPosition, length);
        if (pairsPerCall >= length)
            return [f.Combine(left, right)];

        var parts = new List<TState>((int)((length + pairsPerCall - 1) / pairsPerCall));
        for (long start = 0; start < length; start += pairsPerCall)
        {
            long stop = Math.Min(length, start + pairsPerCall);
            using var scope = NewDisposeScope();
            parts.Add(f.Combine(left.Slice(start, stop, 1), right.Slice(start, stop, 1)).MoveToOuterDisposeScope());
        }
        return parts;
    }

    /// <summary>f(left, right) over all pairs, as one state.</summary>
    public static TState Combine<TState, TCombine>(TCombine f, TState left, TState right)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        var parts = CombineInParts(f, left, right);
        if (parts.Count == 1)
            return parts[0];
        using var scope = NewDisposeScope();
        return TState.Concat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The token encoder over x <c>[B, T, E]</c>, in pieces along T on the CPU; <paramref name="stateWidth"/> is the
    /// number of values a state has per position (the sum of its field sizes).
    /// </summary>
    public static TState Encode<TState>(Tensor x, long stateWidth, Func<Tensor, TState> encode)
        where TState : IScanState<TState>
    {
        long length = x.shape[1];
        long positionsPerCall = ItemsPerCall(CpuBytes(x, stateWidth), length);
        if (positionsPerCall >= length)
            return encode(x);

        using var scope = NewDisposeScope();
        var parts = new List<TState>((int)((length + positionsPerCall - 1) / positionsPerCall));
        for (long start = 0; start < length; start += positionsPerCall)
        {
            using var pieceScope = NewDisposeScope();
            parts.Add(encode(x.narrow(1, start, Math.Min(positionsPerCall, length - start))).MoveToOuterDisposeScope());
        }
        return TState.Concat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Bytes one time position of <c>[B, T, size]</c> fields takes across the batch, when they live in CPU memory;
    /// 0 on other devices (see <see cref="IScanState{TSelf}.CpuBytesPerPosition"/>).
    /// </summary>
    public static long CpuBytesPerPosition(params Tensor[] fields) =>
        fields.Length == 0 ? 0 : CpuBytes(fields[0], fields.Sum(field => field.shape[^1]));

    /// <summary>Bytes of <paramref name="width"/> values per batch row of <paramref name="lead"/>'s type, on the CPU; 0 elsewhere.</summary>
    private static long CpuBytes(Tensor lead, long width) =>
        lead.device_type == TorchSharp.DeviceType.CPU ? lead.shape[0] * width * lead.ElementSize : 0;

    private static long ItemsPerCall(long bytesPerItem, long length) =>
        bytesPerItem <= 0 ? length : Math.Max(1, CpuBudgetBytes / bytesPerItem);
}
