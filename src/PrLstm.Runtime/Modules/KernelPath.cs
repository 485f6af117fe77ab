namespace PrLstm.Runtime.Modules;

/// <summary>
/// How a generated layer runs the elementwise part of its body (a model's <c>KernelPath</c> sets it for every layer).
/// Both paths compute the same values and gradients to float rounding.
/// </summary>
public enum KernelPath
{
    /// <summary>
    /// The path measured faster, on the CPU for float32 and float64: the fused kernels for calls that record a gradient
    /// (training) where they run on libtorch's OpenMP threads (<see cref="CompilerServices.FusedKernel.OnLibtorchThreads"/>,
    /// Linux), and for a stream of at most <see cref="CompilerServices.FusedKernel.StreamRowsOnFusedKernels"/> rows
    /// without a gradient (a streamed token at B = 1 or 8 took 0.60–0.90× the op-by-op time); one libtorch call per
    /// operation everywhere else: on other devices, and for whole sequences without a gradient, where the in-place
    /// op-by-op bodies are as fast. A stream's choice is per stream, not per call by size, so that its outputs do not
    /// depend on how its tokens were pushed. docs/performance.md has the numbers.
    /// </summary>
    Automatic,

    /// <summary>Always the fused kernels; a call on another device or dtype throws <see cref="NotSupportedException"/>.</summary>
    Fused,

    /// <summary>Always one libtorch call per operation, autograd recording each (the path every device can run).</summary>
    OpByOp,
}
