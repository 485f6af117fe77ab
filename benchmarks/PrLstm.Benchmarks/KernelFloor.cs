using PrLstm.Runtime.CompilerServices;

namespace PrLstm.Benchmarks;

/// <summary>
/// The floor under the fused path: calls made inside <see cref="Measuring"/> run every fused kernel as if its reads and
/// math cost nothing (its outputs and gradients are zeros, written once). What such a call still takes is what any
/// elementwise implementation inside the same schedule and autograd pays besides its own reads and math: the matmuls,
/// the concatenations and views, the autograd nodes, the allocations, the loss and the optimizer. For
/// `prlstm bench --kernels` only.
/// </summary>
public static class KernelFloor
{
    /// <summary>Runs <paramref name="call"/> with the fused kernels doing no work.</summary>
    public static void Measuring(Action call)
    {
        FusedKernel.SkipWorkForFloor = true;
        try
        {
            call();
        }
        finally
        {
            FusedKernel.SkipWorkForFloor = false;
        }
    }
}
