namespace PrLstm.Runtime.Modules;

/// <summary>
/// How a generated layer runs the elementwise part of its body (a model's <c>KernelPath</c> sets it for every layer).
/// Both paths compute the same values and gradients to float rounding.
/// </summary>
public enum KernelPath
{
    /// <summary>
    /// The path measured faster for the call's device: today one libtorch call per operation everywhere. On the 2-core
    /// CPUs this project is measured on, the fused kernels take 1.09–1.17× the time of the op-by-op bodies (they
    /// recompute every activation in the backward, and their threads compete with libtorch's spinning OpenMP workers);
    /// docs/performance.md has the numbers and the bound.
    /// </summary>
    Automatic,

    /// <summary>Always the fused kernels; a call on another device or dtype throws <see cref="NotSupportedException"/>.</summary>
    Fused,

    /// <summary>Always one libtorch call per operation, autograd recording each (the path every device can run).</summary>
    OpByOp,
}
