using PrLstm.Runtime.Schedule;

namespace PrLstm.IntegrationTests;

/// <summary>The runtime schedules, run symbolically on strings, against spec section 6.</summary>
public class ScheduleTests
{
    /// <summary>Spec section 6, table of S_t for t = 0..9, verbatim.</summary>
    private static readonly string[] SpecTable =
    {
        "x0",
        "f(x0,x1)",
        "f(f(x0,x1),x2)",
        "f(f(x0,x1),f(x2,x3))",
        "f(f(f(x0,x1),f(x2,x3)),x4)",
        "f(f(f(x0,x1),f(x2,x3)),f(x4,x5))",
        "f(f(f(f(x0,x1),f(x2,x3)),f(x4,x5)),x6)",
        "f(f(f(x0,x1),f(x2,x3)),f(f(x4,x5),f(x6,x7)))",
        "f(f(f(f(x0,x1),f(x2,x3)),f(f(x4,x5),f(x6,x7))),x8)",
        "f(f(f(f(x0,x1),f(x2,x3)),f(f(x4,x5),f(x6,x7))),f(x8,x9))",
    };

    [Fact]
    public void TreeScanReproducesTheSpecBracketTable()
    {
        var result = TreeScan.Prefix(SymbolicState.Leaves(10), new SymbolicCombine());
        Assert.Equal(SpecTable, result.Items);
    }

    /// <summary>
    /// The spec's closed form, written independently of the runtime's recursion: tree(0) = x0; tree(t) =
    /// f(tree(t-1), x_t) for even t; for odd t, tree over the pairs P_k = f(x_2k, x_2k+1) at (t-1)/2.
    /// </summary>
    private static string ClosedForm(IReadOnlyList<string> x, int t)
    {
        if (t == 0) return x[0];
        if (t % 2 == 0) return $"f({ClosedForm(x, t - 1)},{x[t]})";
        var pairs = Enumerable.Range(0, (t + 1) / 2).Select(k => $"f({x[2 * k]},{x[2 * k + 1]})").ToList();
        return ClosedForm(pairs, (t - 1) / 2);
    }

    [Fact]
    public void TreeScanMatchesTheClosedFormAndDoesNotDependOnLength()
    {
        var leaves = SymbolicState.Leaves(130).Items;
        for (int length = 1; length <= 130; length++)
        {
            var result = TreeScan.Prefix(SymbolicState.Leaves(length), new SymbolicCombine());
            for (int t = 0; t < length; t++)
                Assert.Equal(ClosedForm(leaves, t), result.Items[t]);
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 4)]
    [InlineData(8, 11)]
    [InlineData(41, 73)]
    [InlineData(540, 1066)]
    public void TreeScanApplicationCountsMatchTheSpec(int length, int applications)
    {
        var combine = new SymbolicCombine();
        TreeScan.Prefix(SymbolicState.Leaves(length), combine);
        Assert.Equal(applications, combine.Applications);
    }

    [Theory]
    [InlineData(41, 8)]
    [InlineData(500, 15)]
    [InlineData(540, 16)]
    public void TreeScanDepthMatchesTheSpec(int length, int depth)
    {
        var result = TreeScan.Prefix(SymbolicState.Leaves(length), new SymbolicCombine());
        Assert.Equal(depth, result.Items.Max(SymbolicCombine.Depth));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(500)]
    [InlineData(8192)]
    public void TreeScanBatchesEachLevelSoCallsGrowWithLogT(int length)
    {
        var combine = new SymbolicCombine();
        TreeScan.Prefix(SymbolicState.Leaves(length), combine);
        // Two calls per level (pairs, then even positions), about log2 T levels.
        Assert.True(combine.Calls <= 2 * Math.Ceiling(Math.Log2(length)), $"{combine.Calls} calls for T = {length}");
    }

    [Fact]
    public void ReduceGivesTheLastPrefixWithAboutHalfTheApplications()
    {
        for (int length = 1; length <= 130; length++)
        {
            var full = new SymbolicCombine();
            var prefixes = TreeScan.Prefix(SymbolicState.Leaves(length), full);
            var final = new SymbolicCombine();
            var last = Reduce.Final(SymbolicState.Leaves(length), final);
            Assert.Equal(new[] { prefixes.Items[^1] }, last.Items);
            // A binary tree over T leaves has exactly T - 1 internal nodes; the full scan needs about 2T.
            Assert.Equal(length - 1, final.Applications);
        }
    }

    [Fact]
    public void SequentialFoldIsTheLeftFold()
    {
        var result = SequentialFold.Prefix(SymbolicState.Leaves(5), new SymbolicCombine());
        Assert.Equal(new[] { "x0", "f(x0,x1)", "f(f(x0,x1),x2)", "f(f(f(x0,x1),x2),x3)", "f(f(f(f(x0,x1),x2),x3),x4)" }, result.Items);
    }
}
