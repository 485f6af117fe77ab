using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// Elementwise functions the generated layers call where a plain torch function is slower on some device. Each
/// computes the same function as its torch counterpart, to float rounding.
/// </summary>
public static class Elementwise
{
    private static readonly TorchSharp.Scalar One = 1.0, Two = 2.0;

    /// <summary>
    /// tanh(x). On the CPU without a recorded gradient it is computed as 2·sigmoid(2x) − 1 in one fresh tensor:
    /// libtorch's CPU sigmoid kernel runs about 5× faster than its tanh kernel (measured in docs/performance.md);
    /// the result differs from torch.tanh by at most 2.4e-7 in float32. With a gradient to record, or on other
    /// devices, it is torch.tanh.
    /// </summary>
    public static Tensor Tanh(Tensor x)
    {
        if (x.device_type != TorchSharp.DeviceType.CPU || (x.requires_grad && is_grad_enabled()))
            return tanh(x);
        Tensor result = x.mul(Two);
        result.sigmoid_().mul_(Two).sub_(One);
        return result;
    }

    /// <summary>sum + a ⊙ b in one operation (torch.addcmul): one pass and one tensor fewer than the two operators.</summary>
    public static Tensor AddProduct(Tensor sum, Tensor a, Tensor b) => addcmul(sum, a, b, One);
}
