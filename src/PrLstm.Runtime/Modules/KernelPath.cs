namespace PrLstm.Runtime.Modules;

/// <summary>
/// How a generated layer runs the elementwise part of its body (a model's <c>KernelPath</c> sets it for every layer).
/// Both paths compute the same values and gradients to float rounding.
/// </summary>
public enum KernelPath
{
    /// <summary>
    /// The path measured faster: the fused kernels for a stream of at most
    /// <see cref="CompilerServices.FusedKernel.StreamRowsOnFusedKernels"/> rows on the CPU (a streamed token at B = 1 or 8
    /// took 0.60–0.90× the op-by-op time), one libtorch call per operation everywhere else. On the 2-core CPUs this
    /// project is measured on, the fused kernels take 1.06–1.14× the time of the op-by-op bodies for training steps and
    /// whole sequences (they recompute every activation in the backward, and their threads compete with libtorch's
    /// spinning OpenMP workers). Chosen per stream, not per call by size, so that a stream's outputs do not depend on
    /// how its tokens were pushed. docs/performance.md has the numbers and the bound.
    /// </summary>
    Automatic,

    /// <summary>Always the fused kernels; a call on another device or dtype throws <see cref="NotSupportedException"/>.</summary>
    Fused,

    /// <summary>Always one libtorch call per operation, autograd recording each (the path every device can run).</summary>
    OpByOp,
}
