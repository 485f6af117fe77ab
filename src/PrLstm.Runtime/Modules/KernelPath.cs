namespace PrLstm.Runtime.Modules;

/// <summary>
/// How a generated layer runs the elementwise part of its body (a model's <c>KernelPath</c> sets it for every layer).
/// Both paths compute the same values and gradients to float rounding.
/// </summary>
public enum KernelPath
{
    /// <summary>The fused kernels for CPU tensors of float32 and float64, one libtorch call per operation otherwise.</summary>
    Automatic,

    /// <summary>Always the fused kernels; a call on another device or dtype throws <see cref="NotSupportedException"/>.</summary>
    Fused,

    /// <summary>Always one libtorch call per operation, autograd recording each (the path every device can run).</summary>
    OpByOp,
}
