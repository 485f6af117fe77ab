using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>Operations on the time axis (dimension 1) of <c>[B, T, ...]</c> tensors.</summary>
public static class TimeAxis
{
    /// <summary>
    /// result[:, 2k] = even[:, k] and result[:, 2k + 1] = odd[:, k]. <paramref name="even"/> has as many positions
    /// as <paramref name="odd"/>, or one more (then it also fills the last position).
    /// </summary>
    public static Tensor Interleave(Tensor even, Tensor odd)
    {
        long evenLength = even.shape[1], oddLength = odd.shape[1];
        if (evenLength != oddLength && evenLength != oddLength + 1)
            throw new ArgumentException($"Interleave needs as many even positions as odd ones, or one more; got {evenLength} and {oddLength}.");
        using var scope = NewDisposeScope();
        long[] shape = even.shape;
        shape[1] = 2 * oddLength;
        // [B, N, 2, ...] -> [B, 2N, ...]: pairs (even k, odd k) become neighbours.
        Tensor paired = stack([even.slice(1, 0, oddLength, 1), odd], 2).reshape(shape);
        Tensor result = evenLength == oddLength ? paired : cat([paired, even.slice(1, oddLength, evenLength, 1)], 1);
        return result.MoveToOuterDisposeScope();
    }
}
