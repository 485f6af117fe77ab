using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using PrLstm.Runtime.Schedule;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// The paths the generated models take for speed, each against the naive reference or the plain torch function:
/// inference without a gradient (sigmoid-based tanh, preallocated interleave), CPU calls split into pieces, and
/// the elementwise helpers.
/// </summary>
public class FastPathTests
{
    private static (double Rtol, double Atol) Tolerance(ScalarType dtype) => dtype == ScalarType.Float32 ? (1e-5, 1e-5) : (1e-10, 1e-10);

    [Theory]
    [MemberData(nameof(NumericsTests.Configurations), MemberType = typeof(NumericsTests))]
    public void InferenceWithoutGradientMatchesNaiveReference(TestModels.Kind kind, int refinements, ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        using var model = TestModels.Create(kind, refinements, dtype);
        var naive = new NaiveReference(model, kind == TestModels.Kind.PrLstm, refinements, TestModels.Hidden);
        using var noGrad = no_grad();
        foreach (long length in Enumerable.Range(1, 40).Select(t => (long)t).Concat(new long[] { 127, 500 }))
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, TestModels.InputSize }, dtype: dtype);
            var expected = naive.Forward(x);
            TestModels.AssertClose(model.forward(x), expected, rtol, atol, $"no-grad output, T = {length}");
            TestModels.AssertClose(TestModels.Final(model, x), expected.select(1, length - 1), rtol, atol, $"no-grad final state, T = "
                + $"{length}");
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32, 3e-7)]
    [InlineData(ScalarType.Float64, 1e-15)]
    public void TanhWithoutGradientIsTorchTanhToRounding(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        var x = cat(new[] { linspace(-20, 20, 40001, dtype: dtype), tensor(new[] { 0.0, 1e-8, -1e-8, 1e-30 }).to_type(dtype) });
        using (no_grad())
        {
            var fast = Elementwise.Tanh(x);
            double error = (fast - tanh(x)).abs().max().ToDouble();
            Assert.True(error <= tolerance, $"max error {error:G3} > {tolerance:G3}");
            Assert.Equal(0.0, x.sub(x.clone()).abs().max().ToDouble()); // the input is not written to
        }
    }

    [Fact]
    public void TanhWithGradientIsTorchTanhWithItsGradient()
    {
        using var scope = NewDisposeScope();
        var x = linspace(-5, 5, 101, dtype: ScalarType.Float64).requires_grad_();
        var y = Elementwise.Tanh(x);
        Assert.True(TestModels.Identical(y.detach(), tanh(x).detach()));
        y.sum().backward();
        TestModels.AssertClose(x.grad!, 1 - tanh(x.detach()).square(), 1e-14, 1e-14, "d tanh / dx");
    }

    /// <summary>
    /// Projection.Forward folds an input's leading axes into one for the product: values and gradients of input, weight
    /// and bias against the map written out (Σ_i x[..., i] W[o, i] + b[o]), for every rank the layers pass, a transposed
    /// (not contiguous) input, and no rows at all.
    /// </summary>
    [Theory]
    [InlineData(new long[] { 5 }, true, false)]
    [InlineData(new long[] { 4, 5 }, true, false)]
    [InlineData(new long[] { 3, 4, 5 }, true, false)]
    [InlineData(new long[] { 3, 4, 5 }, false, false)]
    [InlineData(new long[] { 2, 3, 4, 5 }, true, false)]
    [InlineData(new long[] { 4, 3, 5 }, true, true)]
    [InlineData(new long[] { 3, 0, 5 }, true, false)]
    public void ProjectionForwardIsTheLinearMapOverTheLastAxisWithItsGradients(long[] shape, bool bias, bool transposed)
    {
        using var scope = NewDisposeScope();
        using var layer = nn.Linear(5, 7, hasBias: bias, dtype: ScalarType.Float64);
        var x = randn(shape, dtype: ScalarType.Float64);
        if (transposed) x = x.transpose(0, 1); // [3, 4, 5], not contiguous
        x.requires_grad_();
        var output = Projection.Forward(layer, x);
        var outputGrad = randn(output.shape, dtype: ScalarType.Float64);
        output.backward(new[] { outputGrad });

        var (xr, wr) = (x.detach().clone().requires_grad_(), layer.weight!.detach().clone().requires_grad_());
        var br = bias ? layer.bias!.detach().clone().requires_grad_() : null;
        var expected = (xr.unsqueeze(-2) * wr).sum(new long[] { -1 });
        if (br is not null) expected = expected + br;
        expected.backward(new[] { outputGrad });

        var expectedShape = x.shape.ToArray();
        expectedShape[^1] = 7;
        Assert.Equal(expectedShape, output.shape);
        Assert.Equal(x.shape, x.grad!.shape);
        if (output.numel() > 0) // (the comparison reduces over the values, which an empty tensor has none of)
        {
            TestModels.AssertClose(output, expected, 1e-12, 1e-12, "output");
            TestModels.AssertClose(x.grad!, xr.grad!, 1e-12, 1e-12, "d input");
        }
        TestModels.AssertClose(layer.weight!.grad!, wr.grad!, 1e-12, 1e-12, "d weight");
        if (br is not null) TestModels.AssertClose(layer.bias!.grad!, br.grad!, 1e-12, 1e-12, "d bias");
    }

    [Fact]
    public void AddProductIsSumPlusProduct()
    {
        using var scope = NewDisposeScope();
        var (s, a, b) = (randn(4, 5, dtype: ScalarType.Float64), randn(4, 5, dtype: ScalarType.Float64),
            randn(4, 5, dtype: ScalarType.Float64));
        TestModels.AssertClose(Elementwise.AddProduct(s, a, b), s + a * b, 1e-15, 1e-15, "sum + a ⊙ b");
    }

    [Theory]
    [InlineData(new long[] { 4 }, 4)]
    [InlineData(new long[] { 4 }, 3)]
    [InlineData(new long[] { 1, 2, 2 }, 5)]
    [InlineData(new long[] { 1, 2, 2 }, 4)]
    [InlineData(new long[] { 1 }, 0)]
    public void InterleaveWithAndWithoutGradientPutsEveryPositionInPlace(long[] evenPartLengths, long oddLength)
    {
        using var scope = NewDisposeScope();
        long evenLength = evenPartLengths.Sum();
        var even = arange(evenLength * 2 * 3, dtype: ScalarType.Float64).reshape(2, evenLength, 3);
        var odd = (-arange(oddLength * 2 * 3, dtype: ScalarType.Float64) - 1).reshape(2, oddLength, 3);
        var expected = zeros(2, evenLength + oddLength, 3, dtype: ScalarType.Float64);
        for (long k = 0; k < evenLength; k++) expected[.., 2 * k].copy_(even[.., k]);
        for (long k = 0; k < oddLength; k++) expected[.., 2 * k + 1].copy_(odd[.., k]);

        var parts = new List<Tensor>();
        long start = 0;
        foreach (long length in evenPartLengths) { parts.Add(even.narrow(1, start, length)); start += length; }
        using (no_grad())
            Assert.True(TestModels.Identical(TimeAxis.Interleave(parts, odd), expected), "preallocated path");

        var tracked = parts.Select(p => p.detach().requires_grad_()).ToList();
        var result = TimeAxis.Interleave(tracked, odd);
        Assert.True(TestModels.Identical(result.detach(), expected), "differentiable path");
        var weights = arange(result.numel(), dtype: ScalarType.Float64).reshape(result.shape);
        (result * weights).sum().backward();
        Assert.True(TestModels.Identical(cat(tracked.Select(t => t.grad!).ToArray(), 1), weights.slice(1, 0, evenLength + oddLength, 2)),
            "gradient of the even parts");
    }

    /// <summary>
    /// A tensor state's pairs (one split, whose backward joins both halves' gradients) are its strided slices, values and
    /// gradients, for even and odd lengths and fewer pairs than the state holds; and a slice of every position (an alias)
    /// passes the gradient on unchanged.
    /// </summary>
    [Fact]
    public void PairsAndWholeSlicesEqualStridedSlicesWithTheirGradients()
    {
        using var scope = NewDisposeScope();
        for (long length = 0; length <= 7; length++)
            for (long n = 0; 2 * n <= length; n++)
            {
                var h = arange(2 * length * 3, dtype: ScalarType.Float64).reshape(2, length, 3).requires_grad_();
                var c = (-arange(2 * length * 2, dtype: ScalarType.Float64)).reshape(2, length, 2).requires_grad_();
                var state = new LstmState.Tensors(h, c);
                var (left, right) = ((IScanState<LstmState.Tensors>)state).Pairs(n); // the generated record's (ITensorState's)
                var (expectedLeft, expectedRight) = (state.Slice(0, 2 * n, 2), state.Slice(1, 2 * n, 2));
                for (int f = 0; f < 2; f++)
                {
                    Assert.True(TestModels.Identical(left.Fields[f], expectedLeft.Fields[f]), $"T = {length}, n = {n}: left field {f}");
                    Assert.True(TestModels.Identical(right.Fields[f], expectedRight.Fields[f]), $"T = {length}, n = {n}: right field {f}");
                }
                if (n == 0) continue;
                // Different weights for left and right, so that a gradient sent to the wrong half shows.
                var weights = new[] { 2.0, 3.0, 5.0, 7.0 };
                var loss = left.h.sum() * weights[0] + right.h.sum() * weights[1] + left.c.sum() * weights[2] + right.c.sum() * weights[3];
                loss.backward();
                var expectedH = zeros_like(h);
                expectedH.slice(1, 0, 2 * n, 2).fill_(weights[0]);
                expectedH.slice(1, 1, 2 * n, 2).fill_(weights[1]);
                var expectedC = zeros_like(c);
                expectedC.slice(1, 0, 2 * n, 2).fill_(weights[2]);
                expectedC.slice(1, 1, 2 * n, 2).fill_(weights[3]);
                Assert.True(TestModels.Identical(h.grad!, expectedH), $"T = {length}, n = {n}: gradient of h");
                Assert.True(TestModels.Identical(c.grad!, expectedC), $"T = {length}, n = {n}: gradient of c");

                var whole = new LstmState.Tensors(h.detach().requires_grad_(), c.detach().requires_grad_());
                var all = whole.Slice(0, length, 1);
                Assert.True(TestModels.Identical(all.h, whole.h) && TestModels.Identical(all.c, whole.c), $"T = {length}: whole slice");
                (all.h * 3).sum().backward();
                Assert.True(TestModels.Identical(whole.h.grad!, full_like(whole.h, 3.0)), $"T = {length}: gradient through a whole slice");
            }
        IScanState<LstmState.Tensors> three = new LstmState.Tensors(zeros(1, 3, 1), zeros(1, 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => three.Pairs(2));
    }
}

/// <summary>
/// Calls split into pieces on the CPU compute the same values as one call. The budget is each model's own option, so
/// these tests run in parallel with the rest.
/// </summary>
public class CpuChunkingTests
{
    [Theory]
    [InlineData(TestModels.Kind.PrLstm, 1)]
    [InlineData(TestModels.Kind.PrLstm, 2)]
    [InlineData(TestModels.Kind.PrRnn, 1)]
    public void SplitCallsGiveTheValuesAndGradientsOfOneCall(TestModels.Kind kind, int refinements)
    {
        using var model = TestModels.Create(kind, refinements, ScalarType.Float64);
        var naive = new NaiveReference(model, kind == TestModels.Kind.PrLstm, refinements, TestModels.Hidden);
        var whole = ScanOptions.Default;
        foreach (long length in new long[] { 1, 2, 3, 9, 16, 37, 64 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, TestModels.InputSize }, dtype: ScalarType.Float64).requires_grad_();
            var probe = randn(new[] { 3, length, TestModels.Hidden }, dtype: ScalarType.Float64);
            Tensor expected;
            using (no_grad())
                expected = naive.Forward(x);
            // One byte: one pair (or token) per call. The other budget holds three PR-LSTM pairs (2 operands ×
            // B = 3 × 2H values × 8 bytes each), six PR-RNN pairs: pieces of several pairs and a shorter last one.
            foreach (long budget in new long[] { 1, 3 * 3 * 2 * TestModels.Hidden * 8 * 2 })
            {
                TestModels.SetScanOptions(model, new ScanOptions { CpuBudgetBytes = budget });
                using (no_grad())
                {
                    TestModels.AssertClose(model.forward(x), expected, 1e-10, 1e-10, $"no-grad output, T = {length}, budget {budget}");
                    TestModels.AssertClose(TestModels.Final(model, x), expected.select(1, length - 1), 1e-10, 1e-10, $"final state, T = "
                        + $"{length}, budget {budget}");
                }
                var split = NumericsTests.Gradients(model, x, probe, model.forward);
                TestModels.SetScanOptions(model, whole);
                var unsplit = NumericsTests.Gradients(model, x, probe, model.forward);
                TestModels.AssertClose(split.Output, expected, 1e-10, 1e-10, $"output with gradient, T = {length}, budget {budget}");
                foreach (var name in unsplit.Grads.Keys)
                    TestModels.AssertClose(split.Grads[name], unsplit.Grads[name], 1e-10, 1e-10, $"gradient of {name}, T = {length}, "
                        + $"budget {budget}");
            }
        }
    }

    [Fact]
    public void SplitSchedulesKeepTheBracketingAndTheApplications()
    {
        foreach (int length in new[] { 1, 2, 5, 17, 64, 130 })
        {
            var whole = new SymbolicCombine();
            var expected = TreeScan.Prefix(SymbolicState.Leaves(length), whole);
            var expectedFinal = PrLstm.Runtime.Schedule.Reduce.Final(SymbolicState.Leaves(length), new SymbolicCombine());
            // At most one pair per call: the decorator around the same combine.
            var pieces = new SymbolicCombine();
            var leaves = SymbolicState.Leaves(length);
            Assert.Equal(expected.Items, TreeScan.Prefix(leaves, new InParts<SymbolicState, SymbolicCombine>(pieces, 1)).Items);
            Assert.Equal(expectedFinal.Items,
                PrLstm.Runtime.Schedule.Reduce.Final(leaves, new InParts<SymbolicState, SymbolicCombine>(new SymbolicCombine(), 1)).Items);
            Assert.Equal(whole.Applications, pieces.Applications);
            Assert.Equal(whole.Applications, pieces.Calls);
        }
    }
}
