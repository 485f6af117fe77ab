using System.ComponentModel;
using static TorchSharp.torch;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// Elementwise functions the generated layers call where a plain torch function is slower on some device, or unsafe
/// (TorchSharp's + and - free a temporary Scalar too early). Each computes the same function as its torch
/// counterpart, to float rounding.
/// </summary>
/// <remarks>
/// For generated code only, like everything in <c>PrLstm.Runtime.CompilerServices</c>: hidden from IntelliSense,
/// and free to change between versions together with the generator that calls it.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Elementwise
{
    private static readonly TorchSharp.Scalar One = 1.0, Two = 2.0;

    /// <summary>
    /// At or below this many elements the sigmoid-based forms below are not worth their extra calls: each libtorch call
    /// costs a few microseconds however small its tensor. Measured here (float32, median of 5 interleaved repeats),
    /// torch.tanh against 2·sigmoid(2x) − 1: 1.7 against 7.3 µs at 256 elements, 8.5 against 10.1 at 4,096, 16.0 against
    /// 12.7 at 8,192, 457 against 134 at 262,144. A stream at B = 1 combines states of 256.
    /// </summary>
    public const long SmallTensor = 4096;

    /// <summary>
    /// tanh(x). On the CPU without a recorded gradient it is computed as 2·sigmoid(2x) − 1 in one fresh tensor:
    /// libtorch's CPU sigmoid kernel runs about 5× faster than its tanh kernel (measured on 16,384 × 256 float32 values);
    /// the result differs from torch.tanh by at most 2.4e-7 in float32. With a gradient to record, or on other
    /// devices, it is torch.tanh.
    /// </summary>
    public static Tensor Tanh(Tensor x)
    {
        if (x.device_type != TorchSharp.DeviceType.CPU || (x.requires_grad && is_grad_enabled()) || x.numel() <= SmallTensor)
            return tanh(x);
        Tensor result = x.mul(Two);
        result.sigmoid_().mul_(Two).sub_(One);
        return result;
    }

    // Sums and differences. TorchSharp's + and - operators pass a temporary Scalar (alpha = 1, or the number) to
    // libtorch without keeping it alive, so a finalizer may free it during the call; these keep every Scalar rooted.
    // Each computes exactly what the operator computes.

    /// <summary>a + b.</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a + b for a number b (keep <paramref name="b"/> alive, e.g. in a static field).</summary>
    public static Tensor Add(Tensor a, TorchSharp.Scalar b) => a.add(b, One);

    /// <summary>a + b for a number a.</summary>
    public static Tensor Add(TorchSharp.Scalar a, Tensor b) => b.add(a, One);

    /// <summary>a − b.</summary>
    public static Tensor Subtract(Tensor a, Tensor b) => a.sub(b);

    /// <summary>a − b for a number b.</summary>
    public static Tensor Subtract(Tensor a, TorchSharp.Scalar b) => a.sub(b);

    /// <summary>a − b for a number a, as −b + a (as TorchSharp's operator computes it).</summary>
    public static Tensor Subtract(TorchSharp.Scalar a, Tensor b) => b.neg().add_(a, One);

    /// <summary>a + b written into <paramref name="a"/>, for code that records no gradient and owns a.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a + b written into <paramref name="a"/> for a number b.</summary>
    public static Tensor AddInPlace(Tensor a, TorchSharp.Scalar b) => a.add_(b, One);

    /// <summary>a − b written into <paramref name="a"/>.</summary>
    public static Tensor SubtractInPlace(Tensor a, Tensor b) => a.sub_(b);

    /// <summary>a − b written into <paramref name="a"/> for a number b.</summary>
    public static Tensor SubtractInPlace(Tensor a, TorchSharp.Scalar b) => a.sub_(b);

    /// <summary>a − b for a number a, written into <paramref name="b"/> (which the caller owns).</summary>
    public static Tensor SubtractInPlace(TorchSharp.Scalar a, Tensor b) => b.neg_().add_(a, One);

    /// <summary>
    /// The sigmoid of gates <paramref name="first"/> .. first + count − 1 of a projection whose last dimension is split
    /// by <paramref name="gateSizes"/>: one call over their part of it; one view per gate.
    /// </summary>
    public static Tensor[] SigmoidOfGates(Tensor projected, long[] gateSizes, int first, int count) =>
        GatesPart(projected, gateSizes, first, count, sigmoid);

    /// <summary>The tanh of adjacent gates, as <see cref="SigmoidOfGates"/> (through <see cref="Tanh"/>).</summary>
    public static Tensor[] TanhOfGates(Tensor projected, long[] gateSizes, int first, int count) =>
        GatesPart(projected, gateSizes, first, count, Tanh);

    private static Tensor[] GatesPart(Tensor projected, long[] gateSizes, int first, int count, System.Func<Tensor, Tensor> activation)
    {
        long start = 0, length = 0;
        for (int g = 0; g < first; g++) start += gateSizes[g];
        var sizes = new long[count];
        for (int g = 0; g < count; g++) length += sizes[g] = gateSizes[first + g];
        return activation(projected.narrow(-1, start, length)).split(sizes, -1);
    }

    /// <summary>sum + a ⊙ b in one operation (torch.addcmul): one pass and one tensor fewer than the two operators.</summary>
    public static Tensor AddProduct(Tensor sum, Tensor a, Tensor b) => addcmul(sum, a, b, One);

    /// <summary>
    /// tanh of <paramref name="x"/> written into <paramref name="x"/> itself, for code that records no gradient and owns
    /// x (on the CPU as 2·sigmoid(2x) − 1, as <see cref="Tanh"/>).
    /// </summary>
    public static Tensor TanhInPlace(Tensor x) =>
        x.device_type == TorchSharp.DeviceType.CPU && x.numel() > SmallTensor ? x.mul_(Two).sigmoid_().mul_(Two).sub_(One) : x.tanh_();

    /// <summary>sum + a ⊙ b written into <paramref name="sum"/> (addcmul_), for code that records no gradient and owns sum.</summary>
    public static Tensor AddProductInPlace(Tensor sum, Tensor a, Tensor b) => sum.addcmul_(a, b, One);

    /// <summary>
    /// Applies each gate's activation in place: sigmoid to <paramref name="sigmoidGates"/>, tanh to
    /// <paramref name="tanhGates"/>, all of them chunks that together make up <paramref name="projected"/>. On the
    /// CPU this is one sigmoid pass over the whole projection, the tanh gates going in scaled by 2 and coming out as
    /// 2·s − 1; elsewhere one call per gate. For code that records no gradient and owns the projection.
    /// </summary>
    public static void ActivateGatesInPlace(Tensor projected, Tensor[] sigmoidGates, Tensor[] tanhGates)
    {
        if (projected.device_type == TorchSharp.DeviceType.CPU && projected.numel() > SmallTensor)
        {
            foreach (Tensor gate in tanhGates) gate.mul_(Two);
            projected.sigmoid_();
            foreach (Tensor gate in tanhGates) gate.mul_(Two).sub_(One);
            return;
        }
        if (tanhGates.Length == 1 && sigmoidGates.Length > 1)
        {
            // Small tensors: the tanh gate set aside, one sigmoid over the whole projection, the tanh gate put back
            // (three calls instead of one per gate).
            using var tanhGate = tanhGates[0].tanh();
            projected.sigmoid_();
            tanhGates[0].copy_(tanhGate);
            return;
        }
        foreach (Tensor gate in sigmoidGates) gate.sigmoid_();
        foreach (Tensor gate in tanhGates) gate.tanh_();
    }
}
