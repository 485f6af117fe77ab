using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Generated models against the naive reference: outputs and gradients, float32 and float64.</summary>
public class NumericsTests
{
    public static IEnumerable<object[]> Configurations()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            yield return new object[] { TestModels.Kind.PrLstm, 0, dtype };
            yield return new object[] { TestModels.Kind.PrLstm, 1, dtype };
            yield return new object[] { TestModels.Kind.PrLstm, 2, dtype };
            yield return new object[] { TestModels.Kind.PrRnn, 1, dtype };
        }
    }

    private static readonly long[] Lengths = Enumerable.Range(1, 40).Select(t => (long)t).Concat(new long[] { 127, 500 }).ToArray();

    private static (double Rtol, double Atol) Tolerance(ScalarType dtype) => dtype == ScalarType.Float32 ? (1e-5, 1e-5) : (1e-10, 1e-10);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TreeScanMatchesNaiveReferenceWithGradients(TestModels.Kind kind, int refinements, ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        bool lstm = kind == TestModels.Kind.PrLstm;
        using var model = TestModels.Create(kind, refinements, dtype);
        var naive = new NaiveReference(model, lstm, refinements, TestModels.Hidden);
        // float32 gradients are also judged against exact (float64) values computed on the same weights.
        using var exactModel = TestModels.Create(kind, refinements, ScalarType.Float64);
        using (no_grad())
            foreach (var (name, parameter) in exactModel.named_parameters())
                parameter.copy_(model.get_parameter(name)!);
        var exact = new NaiveReference(exactModel, lstm, refinements, TestModels.Hidden);

        foreach (long length in Lengths)
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, TestModels.InputSize }, dtype: dtype).requires_grad_();
            var probe = randn(new[] { 3, length, TestModels.Hidden }, dtype: dtype);

            var actual = Gradients(model, x, probe, xs => model.forward(xs));
            var expected = Gradients(model, x, probe, naive.Forward);
            TestModels.AssertClose(actual.Output, expected.Output, rtol, atol, $"output, T = {length}");
            if (dtype == ScalarType.Float64)
            {
                foreach (var name in actual.Grads.Keys)
                    TestModels.AssertClose(actual.Grads[name], expected.Grads[name], rtol, atol, $"gradient of {name}, T = {length}");
                continue;
            }

            // float32: the fused and the naive code sum in different orders, and gradients accumulate thousands of
            // products, so elementwise 1e-5 is below float32's rounding. Require each gradient to be within 1e-5 of
            // its scale of the exact value, or no less accurate than the naive reference's own float32 result.
            var truth = Gradients(exactModel, x.detach().to_type(ScalarType.Float64).requires_grad_(), probe.to_type(ScalarType.Float64),
                exact.Forward);
            foreach (var name in actual.Grads.Keys)
            {
                var reference = truth.Grads[name];
                double scale = reference.abs().max().ToDouble();
                double generatedError = (actual.Grads[name].to_type(ScalarType.Float64) - reference).abs().max().ToDouble();
                double naiveError = (expected.Grads[name].to_type(ScalarType.Float64) - reference).abs().max().ToDouble();
                Assert.True(generatedError <= Math.Max(atol + rtol * scale, 2 * naiveError),
                    $"gradient of {name}, T = {length}: error {generatedError:G3} (naive float32: {naiveError:G3}) at scale {scale:G3}");
            }
        }
    }

    /// <summary>Output, and gradients of sum(output ⊙ probe) for every parameter and for "x" (which must require a gradient).</summary>
    internal static (Tensor Output, Dictionary<string, Tensor> Grads) Gradients(nn.Module model, Tensor x, Tensor probe,
        Func<Tensor, Tensor> forward)
    {
        model.zero_grad();
        x.grad?.zero_();
        var output = forward(x);
        (output * probe).sum().backward();
        var grads = model.named_parameters().ToDictionary(p => p.name, p => GradientOf(p.parameter));
        grads["x"] = x.grad!.clone();
        return (output.detach(), grads);
    }

    /// <summary>A parameter that took no part (the block at T = 1) has no gradient: zero.</summary>
    private static Tensor GradientOf(Tensor parameter) => parameter.grad?.clone() ?? zeros_like(parameter);

    [Theory]
    [MemberData(nameof(Configurations))]
    public void SequentialBaselineMatchesNaiveLeftFold(TestModels.Kind kind, int refinements, ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        using var model = TestModels.Create(kind, refinements, dtype);
        var naive = new NaiveReference(model, kind == TestModels.Kind.PrLstm, refinements, TestModels.Hidden);
        foreach (long length in new long[] { 1, 2, 3, 7, 16, 33 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 2, length, TestModels.InputSize }, dtype: dtype);
            TestModels.AssertClose(TestModels.Sequential(model, x), naive.ForwardSequential(x), rtol, atol, $"sequential, T = {length}");
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FinalStateEqualsLastPrefixOfTheScan(TestModels.Kind kind, int refinements, ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        using var model = TestModels.Create(kind, refinements, dtype);
        foreach (long length in Enumerable.Range(1, 40).Select(t => (long)t).Append(127))
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, TestModels.InputSize }, dtype: dtype);
            var last = model.forward(x).select(1, length - 1);
            TestModels.AssertClose(TestModels.Final(model, x), last, rtol, atol, $"final state, T = {length}");
        }
    }
}

/// <summary>The GRU-composition variant against the naive reference's GRU step.</summary>
public class GruNumericsTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.Float64, 1e-10)]
    public void PrGruMatchesTheNaiveGruStepOnTheTree(ScalarType dtype, double tolerance)
    {
        manual_seed(21);
        using var model = new PrLstm.FormalLanguages.Models.PrGruModel(TestModels.InputSize, TestModels.Hidden, dtype: dtype);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.EndsWith(".bias")) parameter.copy_(randn_like(parameter) * 0.5);
        var naive = new NaiveReference(model, NaiveReference.Cell.Gru, 0, TestModels.Hidden);
        foreach (long length in Enumerable.Range(1, 40).Select(t => (long)t).Append(127))
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, TestModels.InputSize }, dtype: dtype);
            var expected = naive.Forward(x);
            TestModels.AssertClose(model.forward(x), expected, tolerance, tolerance, $"PR-GRU, T = {length}");
            using (no_grad()) // the in-place path
                TestModels.AssertClose(model.forward(x), expected, tolerance, tolerance, $"PR-GRU without gradient, T = {length}");
            TestModels.AssertClose(model.ForwardSequential(x), naive.ForwardSequential(x), tolerance, tolerance, $"PR-GRU sequential, T "
                + $"= {length}");
        }
    }

    [Fact]
    public void PrGruHasHaikusParameterCount()
    {
        // Leaf H·D + H; block: W_i (3H x H) + W_hz (2H x H) + b_z (2H) + W_ha (H x H) + b_a (H) = 6H² + 3H.
        using var model = new PrLstm.FormalLanguages.Models.PrGruModel(inputSize: 3, H: 256);
        Assert.Equal(256 * 3 + 256 + 6 * 256 * 256 + 3 * 256, model.parameters().Sum(p => p.numel()));
    }
}
