using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>The generated source of the shipped declarations, pinned by snapshots (see Infrastructure/Snapshot.cs).</summary>
public class SnapshotTests
{
    [Fact]
    public void PrLstm()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs"));
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Verify(run);
    }

    [Fact]
    public void PrRnn()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/FormalLanguages/Models/PrRnnCells.cs"));
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Verify(run);
    }

    [Fact]
    public void PrGruWithNamedProjections()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/FormalLanguages/Models/PrGruCells.cs"));
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Verify(run);
    }

    [Fact]
    public void CompositionVariants()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs"),
            TestSources.Repository("examples/FormalLanguages/Models/VariantCells.cs"));
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Verify(run);
    }

    [Fact]
    public void CustomBlockExample()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/CustomBlock/HighwayMaxCells.cs"));
        Assert.Empty(run.CompilationErrors);
        Assert.Empty(run.GeneratorDiagnostics);
        Snapshot.Verify(run);
    }

    [Fact]
    public void DiagnosticsOfABrokenBlock()
    {
        var run = GeneratorHarness.Run(TestSources.WithState("""
            [State]
            public partial struct Wide
            {
                [Size("H")] public Vec h;
                [Size("M")] public Vec m;
            }

            [CompositionBlock(GatesFrom = "h")]
            public static partial class Broken
            {
                public static Wide Compose(Wide left, Wide right, [Size("H")] Vec i, [Size("H")] Vec unused)
                {
                    var mixed = i * left.m;
                    return new Wide { h = left.m };
                }
            }
            """));
        Snapshot.Verify(run);
    }

    [Fact]
    public void GeneratedCodeReadsTheDeclaredGateOrderAndSplitsAfterOneProjection()
    {
        var run = GeneratorHarness.Run(TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs"));
        string merge = run.Source("LstmMerge.Layer.g.cs");
        Assert.Contains("gates = torch.nn.Linear(2 * H, 5 * H, hasBias: true, device: device, dtype: dtype);", merge);
        Assert.Contains("register_module(\"gates\", gates);", merge);
        Assert.Contains("var projected = Projection.Forward(gates, torch.cat(new[] { left.h, right.h }, -1));", merge);
        Assert.Contains("var sigmoidFLeft = chunks[3];", merge);
        Assert.Contains("var sigmoidFRight = chunks[4];", merge);
        Assert.DoesNotContain("cuda", string.Concat(run.Result.Results[0].GeneratedSources.Select(s => s.SourceText.ToString())),
            StringComparison.OrdinalIgnoreCase);
    }
}
