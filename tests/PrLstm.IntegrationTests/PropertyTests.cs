using PrLstm.FormalLanguages.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Properties of the schedules that hold whatever the weights.</summary>
public class PropertyTests
{
    [Fact]
    public void AssociativeSumBlockGivesTheSameResultOnTreeAndSequentialForEveryLength()
    {
        manual_seed(3);
        using var model = new SumModel(inputSize: 3, H: 4, dtype: ScalarType.Float64);
        for (long length = 1; length <= 70; length++)
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 2, length, 3L }, dtype: ScalarType.Float64);
            var tree = model.forward(x);
            TestModels.AssertClose(tree, model.ForwardSequential(x), 1e-12, 1e-12, $"sum block, T = {length}");
            // And both are the running sum of the leaves.
            var leaves = model.Encode(x).v;
            TestModels.AssertClose(tree, leaves.cumsum(1), 1e-12, 1e-12, $"sum block as cumsum, T = {length}");
        }
    }

    [Fact]
    public void AssociativeMaxBlockGivesTheSameResultOnTreeAndSequentialForEveryLength()
    {
        manual_seed(4);
        using var model = new MaxModel(inputSize: 3, H: 4);
        for (long length = 1; length <= 70; length++)
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 2, length, 3L });
            var tree = model.forward(x);
            Assert.True(TestModels.Identical(tree, model.ForwardSequential(x)), $"max block, T = {length}");
            Assert.True(TestModels.Identical(tree, model.Encode(x).v.cummax(1).values), $"max block as cummax, T = {length}");
        }
    }

    [Fact]
    public void NonAssociativeBlockGivesDifferentTreeAndSequentialResults()
    {
        // A guard on the test above: PR-LSTM's block is not associative, so the schedules must disagree.
        using var model = TestModels.Create(TestModels.Kind.PrLstm, 1, ScalarType.Float64);
        using var x = randn(new[] { 2, 8, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var difference = (model.forward(x) - TestModels.Sequential(model, x)).abs().max();
        Assert.True(difference.ToDouble() > 1e-3);
    }

    [Theory]
    [InlineData(TestModels.Kind.PrLstm)]
    [InlineData(TestModels.Kind.PrRnn)]
    public void PrefixOutputDoesNotChangeWhenTokensAreAppended(TestModels.Kind kind)
    {
        using var model = TestModels.Create(kind, 1, ScalarType.Float64);
        using var full = randn(new[] { 2, 45, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var fullOutput = model.forward(full);
        for (long length = 1; length <= 45; length++)
        {
            using var scope = NewDisposeScope();
            var prefix = model.forward(full.slice(1, 0, length, 1));
            TestModels.AssertClose(prefix, fullOutput.slice(1, 0, length, 1), 1e-12, 1e-12, $"prefix of length {length}");
        }
    }

    [Fact]
    public void BatchElementsAreIndependent()
    {
        using var model = TestModels.Create(TestModels.Kind.PrLstm, 2, ScalarType.Float64);
        using var x = randn(new[] { 4, 19, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var together = model.forward(x);
        for (long b = 0; b < 4; b++)
        {
            using var scope = NewDisposeScope();
            var alone = model.forward(x.slice(0, b, b + 1, 1));
            TestModels.AssertClose(alone, together.slice(0, b, b + 1, 1), 1e-12, 1e-12, $"batch element {b}");
        }
    }

    [Fact]
    public void FiniteDifferencesAgreeWithBackpropagationThroughTheTree()
    {
        // A gradient check in float64 on a small model: central differences against autograd, for a sample
        // of entries of every parameter.
        manual_seed(7);
        using var model = new PrLstmModel(inputSize: 3, H: 3, refinements: 2, dtype: ScalarType.Float64);
        using var x = randn(new[] { 2, 11, 3L }, dtype: ScalarType.Float64);
        using var probe = randn(new[] { 2, 11, 3L }, dtype: ScalarType.Float64);
        double Loss()
        {
            using var scope = NewDisposeScope();
            return (model.forward(x) * probe).sum().ToDouble();
        }

        model.zero_grad();
        (model.forward(x) * probe).sum().backward();
        const double step = 1e-6;
        int checkedEntries = 0;
        foreach (var (name, parameter) in model.named_parameters())
        {
            var flat = parameter.view(-1);
            var gradient = parameter.grad!.view(-1);
            for (long k = 0; k < flat.shape[0]; k += 7)
            {
                double original = flat[k].ToDouble();
                using (no_grad()) flat[k] = original + step;
                double plus = Loss();
                using (no_grad()) flat[k] = original - step;
                double minus = Loss();
                using (no_grad()) flat[k] = original;
                double numeric = (plus - minus) / (2 * step);
                double analytic = gradient[k].ToDouble();
                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 + 1e-5 * Math.Abs(analytic), $"{name}[{k}]: finite difference "
                    + $"{numeric}, backprop {analytic}");
                checkedEntries++;
            }
        }
        Assert.True(checkedEntries > 20);
    }
}
