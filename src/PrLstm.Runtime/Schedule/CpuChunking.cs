using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// How generated models size their calls. On a GPU a tree level (or the token encoder) is one call. On the CPU a
/// large call is split along the time axis into calls of at most <see cref="ScanOptions.CpuBudgetBytes"/> of state:
/// the gate projections and activations of a piece then stay in the cache and in memory the allocator reuses,
/// instead of fresh pages for every tensor of a whole level. The pieces compute
/// exactly the values of one call: every pair, and every token, is independent.
/// </summary>
public static class CpuChunking
{
    /// <summary>
    /// <paramref name="f"/>, split into calls that fit the budget when <paramref name="leaves"/> live in CPU memory
    /// (the operands of every combine of a scan have the leaves' bytes per position); one call elsewhere. With
    /// <see cref="ScanOptions.RecomputeInBackward"/> each call is recomputed in the backward (<see cref="Recomputation"/>);
    /// <paramref name="owners"/> are the modules whose parameters the combine reads.
    /// </summary>
    public static InParts<TState, Recomputed<TState, TCombine>> Around<TState, TCombine>(TState leaves, TCombine f, ScanOptions options,
        params nn.Module[] owners)
        where TState : ITensorState<TState>
        where TCombine : IScanCombine<TState>
    {
        // Two operands per pair.
        long bytesPerPair = 2 * CpuBytesPerPosition(leaves.Fields);
        return new InParts<TState, Recomputed<TState, TCombine>>(new Recomputed<TState, TCombine>(f, RecomputedParameters(options, owners)),
            ItemsPerCall(bytesPerPair, options));
    }

    /// <summary>
    /// The token encoder over x <c>[B, T, E]</c>, in pieces along T on the CPU; <paramref name="stateWidth"/> is the
    /// number of values a state has per position (the sum of its field sizes). With
    /// <see cref="ScanOptions.RecomputeInBackward"/> each piece is recomputed in the backward; <paramref name="owner"/>
    /// is the encoder's module.
    /// </summary>
    public static TState Encode<TState>(Tensor x, long stateWidth, Func<Tensor, TState> encode, ScanOptions options, nn.Module owner)
        where TState : ITensorState<TState>
    {
        var parameters = RecomputedParameters(options, [owner]);
        TState Piece(Tensor tokens) => parameters is null ? encode(tokens)
            : TState.FromFields(Recomputation.Run(input => encode(input[0]).Fields, new[] { tokens }, parameters));
        long length = x.size(1);
        long positionsPerCall = ItemsPerCall(CpuBytes(x, stateWidth), options);
        if (positionsPerCall >= length)
            return Piece(x);

        using var scope = NewDisposeScope();
        var parts = new List<TState>((int)((length + positionsPerCall - 1) / positionsPerCall));
        for (long start = 0; start < length; start += positionsPerCall)
        {
            using var pieceScope = NewDisposeScope();
            parts.Add(Piece(x.narrow(1, start, Math.Min(positionsPerCall, length - start))).MoveToOuterDisposeScope());
        }
        return TState.Concat(parts).MoveToOuterDisposeScope();
    }

    /// <summary>The parameters a recomputed call reads, when it is to be recomputed (the option, with a gradient to record).</summary>
    private static Tensor[]? RecomputedParameters(ScanOptions options, nn.Module[] owners) =>
        options.RecomputeInBackward && is_grad_enabled() ? owners.SelectMany(o => o.parameters()).Select(p => (Tensor)p).ToArray() : null;

    /// <summary>Bytes one time position of <c>[B, T, size]</c> fields takes across the batch in CPU memory; 0 elsewhere.</summary>
    public static long CpuBytesPerPosition(IReadOnlyList<Tensor> fields) =>
        fields.Count == 0 ? 0 : CpuBytes(fields[0], fields.Sum(field => field.size(-1)));

    /// <summary>Bytes of <paramref name="width"/> values per batch row of <paramref name="lead"/>'s type, on the CPU; 0
    /// elsewhere.</summary>
    private static long CpuBytes(Tensor lead, long width) =>
        lead.device_type == TorchSharp.DeviceType.CPU ? lead.size(0) * width * lead.ElementSize : 0;

    private static long ItemsPerCall(long bytesPerItem, ScanOptions options) =>
        bytesPerItem <= 0 ? long.MaxValue : Math.Max(1, options.CpuBudgetBytes / bytesPerItem);
}
