using PrLstm.Benchmarks;
using PrLstm.FormalLanguages.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>The benchmark's yardsticks compute what they are compared with; otherwise the ratios would mean nothing.</summary>
public class BenchmarkYardstickTests
{
    [Fact]
    public void HandwrittenTreeAndNaiveRecursionComputeTheGeneratedModel()
    {
        manual_seed(8);
        using var model = new PrLstmModel(3, 16, refinements: 1, dtype: ScalarType.Float64);
        using var handwritten = new HandwrittenTree(3, 16);
        handwritten.to(ScalarType.Float64);
        handwritten.CopyFrom(model);
        foreach (long length in new long[] { 1, 2, 3, 7, 16, 33, 100 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 2, length, 3L }, dtype: ScalarType.Float64);
            var expected = model.forward(x);
            TestModels.AssertClose(handwritten.forward(x), expected, 1e-10, 1e-10, $"hand-written tree, T = {length}");
            TestModels.AssertClose(NaiveScan.Prefix(model.Encode(x), model.Combine).h, expected, 1e-10, 1e-10, $"naive recursion, T = "
                + $"{length}");
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(8, 11)]
    [InlineData(41, 73)]
    [InlineData(540, 1066)]
    public void FlopCountsUseTheSpecsApplicationCounts(long length, long applications)
    {
        Assert.Equal(applications, CountingCombine.Tree(length));
        Assert.Equal(length - 1, CountingCombine.Final(length));
    }
}
