using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>Operations on the time axis (dimension 1) of <c>[B, T, ...]</c> tensors.</summary>
public static class TimeAxis
{
    /// <summary>The given positions of <paramref name="values"/>, in that order: <c>[B, P, ...]</c> (a copy).</summary>
    public static Tensor Select(Tensor values, IReadOnlyList<long> positions)
    {
        using var index = tensor(positions.ToArray(), device: values.device);
        return values.index_select(1, index);
    }

    /// <summary>
    /// result[:, 2k] = even[:, k] and result[:, 2k + 1] = odd[:, k], where <c>even</c> is <paramref name="evenParts"/>
    /// one after the other. The even positions are as many as the odd ones, or one more (then they also fill the
    /// last position).
    /// </summary>
    public static Tensor Interleave(IReadOnlyList<Tensor> evenParts, Tensor odd)
    {
        if (evenParts.Count == 0)
            throw new ArgumentException("Interleave needs at least one part of even positions.", nameof(evenParts));
        long evenLength = evenParts.Sum(p => p.size(1)), oddLength = odd.size(1);
        if (evenLength != oddLength && evenLength != oddLength + 1)
            throw new ArgumentException($"Interleave needs as many even positions as odd ones, or one more; got {evenLength} and "
                + $"{oddLength}.");
        long[] shape = odd.shape;
        shape[1] = evenLength + oddLength;
        using var scope = NewDisposeScope();
        Tensor result;
        if (is_grad_enabled() && (odd.requires_grad || evenParts.Any(p => p.requires_grad)))
        {
            // Differentiable form: [B, N, 2, ...] -> [B, 2N, ...] pairs (even k, odd k) as neighbours; its backward is views.
            Tensor even = evenParts.Count == 1 ? evenParts[0] : cat(evenParts.ToArray(), 1);
            long[] pairedShape = (long[])shape.Clone();
            pairedShape[1] = 2 * oddLength;
            Tensor paired = stack([even.slice(1, 0, oddLength, 1), odd], 2).reshape(pairedShape);
            result = evenLength == oddLength ? paired : cat([paired, even.slice(1, oddLength, evenLength, 1)], 1);
        }
        else
        {
            // No gradient recorded: write every part once into its strided positions of one preallocated tensor.
            result = empty(shape, odd.dtype, odd.device);
            result.slice(1, 1, shape[1], 2).copy_(odd);
            long position = 0;
            foreach (Tensor part in evenParts)
            {
                long length = part.size(1);
                result.slice(1, 2 * position, 2 * (position + length) - 1, 2).copy_(part);
                position += length;
            }
        }
        return result.MoveToOuterDisposeScope();
    }
}
