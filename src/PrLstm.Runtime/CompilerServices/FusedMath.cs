using System.ComponentModel;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// The span operations a generated fused kernel is written in: one call per operation of a declared body (forward) or
/// per adjoint statement (backward), over one block of a few thousand values that stays in the L1/L2 cache. The forward
/// operations are TensorPrimitives calls, which pick Vector512, Vector256 or Vector128 at run time; the gradients
/// follow the same dispatch. Every gradient writes its destination (<c>accumulate: false</c>) or adds to it
/// (<c>accumulate: true</c>), and computes what libtorch's derivative of the same operation computes, to float rounding,
/// with libtorch's conventions at ties and at 0.
/// </summary>
/// <remarks>For generated code only, like everything in <c>PrLstm.Runtime.CompilerServices</c>.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FusedMath
{
    // Forward operations: d = f(x, y, ...). A destination may be one of the inputs.

    /// <summary>d = value in every element (a number of the body, as a span).</summary>
    public static void Fill<T>(double value, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => d.Fill(T.CreateChecked(value));

    /// <summary>d = x.</summary>
    public static void Copy<T>(ReadOnlySpan<T> x, Span<T> d) => x.CopyTo(d);

    /// <summary>d = x + y.</summary>
    public static void Add<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(x, y, d);

    /// <summary>d = x − y.</summary>
    public static void Subtract<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Subtract(x, y, d);

    /// <summary>d = x ⊙ y.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Multiply(x, y, d);

    /// <summary>d = x / y.</summary>
    public static void Divide<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Divide(x, y, d);

    /// <summary>d = −x.</summary>
    public static void Negate<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Negate(x, d);

    /// <summary>d = sum + a ⊙ b (torch.addcmul).</summary>
    public static void AddProduct<T>(ReadOnlySpan<T> sum, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.MultiplyAdd(a, b, sum, d);

    /// <summary>d = σ(x).</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Sigmoid(x, d);

    /// <summary>d = tanh(x).</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Tanh(x, d);

    /// <summary>d = max(x, 0); NaN stays NaN, as torch.relu.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(x, T.Zero, d);

    /// <summary>d = max(x, y); NaN if either is NaN, as torch.maximum.</summary>
    public static void Max<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Max(x, y, d);

    /// <summary>d = min(x, y); NaN if either is NaN, as torch.minimum.</summary>
    public static void Min<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Min(x, y, d);

    // The forward operations on tensors, as libtorch operations that autograd records: a kernel's ForwardOpByOp, which
    // its backward differentiates when a gradient of the gradient is asked for.

    /// <summary>value in every element, shaped as <paramref name="like"/>.</summary>
    public static Tensor Fill(double value, Tensor like) => full_like(like, value);

    /// <summary>x.</summary>
    public static Tensor Copy(Tensor x) => x;

    /// <summary>x + y.</summary>
    public static Tensor Add(Tensor x, Tensor y) => x + y;

    /// <summary>x − y.</summary>
    public static Tensor Subtract(Tensor x, Tensor y) => x - y;

    /// <summary>x ⊙ y.</summary>
    public static Tensor Multiply(Tensor x, Tensor y) => x * y;

    /// <summary>x / y.</summary>
    public static Tensor Divide(Tensor x, Tensor y) => x / y;

    /// <summary>−x.</summary>
    public static Tensor Negate(Tensor x) => -x;

    /// <summary>sum + a ⊙ b.</summary>
    public static Tensor AddProduct(Tensor sum, Tensor a, Tensor b) => Elementwise.AddProduct(sum, a, b);

    /// <summary>σ(x).</summary>
    public static Tensor Sigmoid(Tensor x) => sigmoid(x);

    /// <summary>tanh(x).</summary>
    public static Tensor Tanh(Tensor x) => tanh(x);

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => nn.functional.relu(x);

    /// <summary>max(x, y).</summary>
    public static Tensor Max(Tensor x, Tensor y) => maximum(x, y);

    /// <summary>min(x, y).</summary>
    public static Tensor Min(Tensor x, Tensor y) => minimum(x, y);

    // Adjoint statements: d (+)= the contribution of an operation's adjoint a to one of its operands.

    /// <summary>d (+)= a: the operand of a sum.</summary>
    public static void Pass<T>(ReadOnlySpan<T> a, Span<T> d, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) TensorPrimitives.Add(d, a, d);
        else a.CopyTo(d);
    }

    /// <summary>d (+)= −a: the subtrahend of a difference, the operand of a negation.</summary>
    public static void PassNegated<T>(ReadOnlySpan<T> a, Span<T> d, bool accumulate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) TensorPrimitives.Subtract(d, a, d);
        else TensorPrimitives.Negate(a, d);
    }

    /// <summary>d (+)= a ⊙ other: a factor of a product (other is the other factor).</summary>
    public static void ProductGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> other, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate) TensorPrimitives.MultiplyAdd(a, other, d, d);
        else TensorPrimitives.Multiply(a, other, d);
    }

    /// <summary>d (+)= a / y: the dividend of x / y.</summary>
    public static void DividendGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> y, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, DividendOp<T>>(a, y, y, d, accumulate);

    /// <summary>d (+)= −a ⊙ x / (y ⊙ y): the divisor of x / y.</summary>
    public static void DivisorGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, DivisorOp<T>>(a, x, y, d, accumulate);

    /// <summary>d (+)= a ⊙ (1 − s) ⊙ s, from s = σ(x) (libtorch's sigmoid_backward).</summary>
    public static void SigmoidGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> s, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, SigmoidOp<T>>(a, s, s, d, accumulate);

    /// <summary>d (+)= a ⊙ (1 − t ⊙ t), from t = tanh(x) (libtorch's tanh_backward).</summary>
    public static void TanhGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> t, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, TanhOp<T>>(a, t, t, d, accumulate);

    /// <summary>d (+)= a where r = relu(x) &gt; 0, else 0 (libtorch's threshold_backward: the gradient at 0 is 0).</summary>
    public static void ReluGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> r, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, ReluOp<T>>(a, r, r, d, accumulate);

    /// <summary>
    /// d (+)= the share of x in max(x, y): a where x &gt; y, a / 2 where x = y, 0 where x &lt; y (and a where either is NaN),
    /// as libtorch's maximum backward.
    /// </summary>
    public static void MaxGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, ShareOp<T>>(a, x, y, d, accumulate);

    /// <summary>d (+)= the share of x in min(x, y): a where x &lt; y, a / 2 where x = y, 0 where x &gt; y, as libtorch.</summary>
    public static void MinGradient<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> => Map<T, ShareOp<T>>(a, y, x, d, accumulate);

    /// <summary>An elementwise function of three spans, written once for each vector width and for the scalar tail.</summary>
    private interface ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        static abstract T Apply(T a, T p, T q);
        static abstract Vector128<T> Apply(Vector128<T> a, Vector128<T> p, Vector128<T> q);
        static abstract Vector256<T> Apply(Vector256<T> a, Vector256<T> p, Vector256<T> q);
        static abstract Vector512<T> Apply(Vector512<T> a, Vector512<T> p, Vector512<T> q);
    }

    /// <summary>d = op(a, p, q), or d += op(a, p, q): the widest vector the machine runs fast, then the scalar tail.</summary>
    private static void Map<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> p, ReadOnlySpan<T> q, Span<T> d, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : ITernary<T>
    {
        int n = d.Length;
        if (a.Length < n || p.Length < n || q.Length < n)
            throw new ArgumentException("Every operand of a fused gradient needs as many values as its destination.");
        ref T ra = ref MemoryMarshal.GetReference(a), rp = ref MemoryMarshal.GetReference(p), rq = ref MemoryMarshal.GetReference(q);
        ref T rd = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var value = TOp.Apply(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rp, (nuint)i),
                    Vector512.LoadUnsafe(ref rq, (nuint)i));
                if (accumulate) value += Vector512.LoadUnsafe(ref rd, (nuint)i);
                value.StoreUnsafe(ref rd, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var value = TOp.Apply(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rp, (nuint)i),
                    Vector256.LoadUnsafe(ref rq, (nuint)i));
                if (accumulate) value += Vector256.LoadUnsafe(ref rd, (nuint)i);
                value.StoreUnsafe(ref rd, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            {
                var value = TOp.Apply(Vector128.LoadUnsafe(ref ra, (nuint)i), Vector128.LoadUnsafe(ref rp, (nuint)i),
                    Vector128.LoadUnsafe(ref rq, (nuint)i));
                if (accumulate) value += Vector128.LoadUnsafe(ref rd, (nuint)i);
                value.StoreUnsafe(ref rd, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            T value = TOp.Apply(Unsafe.Add(ref ra, i), Unsafe.Add(ref rp, i), Unsafe.Add(ref rq, i));
            Unsafe.Add(ref rd, i) = accumulate ? Unsafe.Add(ref rd, i) + value : value;
        }
    }

    private readonly struct DividendOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T y, T _) => a / y;
        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> y, Vector128<T> _) => a / y;
        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> y, Vector256<T> _) => a / y;
        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> y, Vector512<T> _) => a / y;
    }

    private readonly struct DivisorOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T x, T y) => -a * x / (y * y);
        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> x, Vector128<T> y) => -a * x / (y * y);
        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> x, Vector256<T> y) => -a * x / (y * y);
        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> x, Vector512<T> y) => -a * x / (y * y);
    }

    private readonly struct SigmoidOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T s, T _) => a * (T.One - s) * s;
        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> s, Vector128<T> _) => a * (Vector128<T>.One - s) * s;
        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> s, Vector256<T> _) => a * (Vector256<T>.One - s) * s;
        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> s, Vector512<T> _) => a * (Vector512<T>.One - s) * s;
    }

    private readonly struct TanhOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T t, T _) => a * (T.One - t * t);
        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> t, Vector128<T> _) => a * (Vector128<T>.One - t * t);
        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> t, Vector256<T> _) => a * (Vector256<T>.One - t * t);
        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> t, Vector512<T> _) => a * (Vector512<T>.One - t * t);
    }

    private readonly struct ReluOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static T Apply(T a, T r, T _) => r > T.Zero ? a : T.Zero;
        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> r, Vector128<T> _)
            => Vector128.ConditionalSelect(Vector128.GreaterThan(r, Vector128<T>.Zero), a, Vector128<T>.Zero);
        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> r, Vector256<T> _)
            => Vector256.ConditionalSelect(Vector256.GreaterThan(r, Vector256<T>.Zero), a, Vector256<T>.Zero);
        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> r, Vector512<T> _)
            => Vector512.ConditionalSelect(Vector512.GreaterThan(r, Vector512<T>.Zero), a, Vector512<T>.Zero);
    }

    /// <summary>The share of p in max(p, q): libtorch's where(p == q, a / 2, a).masked_fill_(p &lt; q, 0).</summary>
    private readonly struct ShareOp<T> : ITernary<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly T Half = T.CreateChecked(0.5);

        public static T Apply(T a, T p, T q) => p < q ? T.Zero : p == q ? a * Half : a;

        public static Vector128<T> Apply(Vector128<T> a, Vector128<T> p, Vector128<T> q)
        {
            var shared = Vector128.ConditionalSelect(Vector128.Equals(p, q), a * Vector128.Create(Half), a);
            return Vector128.ConditionalSelect(Vector128.LessThan(p, q), Vector128<T>.Zero, shared);
        }

        public static Vector256<T> Apply(Vector256<T> a, Vector256<T> p, Vector256<T> q)
        {
            var shared = Vector256.ConditionalSelect(Vector256.Equals(p, q), a * Vector256.Create(Half), a);
            return Vector256.ConditionalSelect(Vector256.LessThan(p, q), Vector256<T>.Zero, shared);
        }

        public static Vector512<T> Apply(Vector512<T> a, Vector512<T> p, Vector512<T> q)
        {
            var shared = Vector512.ConditionalSelect(Vector512.Equals(p, q), a * Vector512.Create(Half), a);
            return Vector512.ConditionalSelect(Vector512.LessThan(p, q), Vector512<T>.Zero, shared);
        }
    }
}
