using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// The generator's caching: what re-runs after an edit (run reasons per tracked step, after Mapperly's
/// IncrementalGeneratorTest and dotnet/runtime's JsonSourceGeneratorIncrementalTests).
/// </summary>
public class IncrementalTests
{
    private static readonly string Declarations = TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs");

    private static (GeneratorDriverRunResult First, GeneratorDriverRunResult Second) RunTwice(string before, string after)
    {
        var compilation = GeneratorHarness.Compile(before);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var first = driver.GetRunResult();
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(after, GeneratorHarness.ParseOptions, tree.FilePath));
        var second = driver.RunGenerators(edited).GetRunResult();
        return (first, second);
    }

    private static IEnumerable<IncrementalStepRunReason> OutputReasons(GeneratorDriverRunResult result) =>
        result.Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static IEnumerable<IncrementalStepRunReason> StepReasons(GeneratorDriverRunResult result, string step) =>
        result.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void AnUnrelatedFileLeavesEveryOutputCached()
    {
        var compilation = GeneratorHarness.Compile(Declarations);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        var withUnrelated = compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("public class Unrelated { "
            + "public int X; }", GeneratorHarness.ParseOptions, "Unrelated.cs"));
        var second = driver.RunGenerators(withUnrelated).GetRunResult();
        // Roslyn re-runs semantic transforms on a new compilation; equal values stop the work there.
        Assert.All(StepReasons(second, PrLstmGenerator.StepNames.Blocks),
            reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
        Assert.All(OutputReasons(second), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
    }

    [Fact]
    public void EditingACommentOrMovingCodeReEmitsNothing()
    {
        // The parse sees new positions (Modified), but the specs that feed the emitters hold no positions.
        string moved = "// A new first line moves every declaration down.\n" + Declarations.Replace("var c = Sigmoid(i) * Tanh(g) + "
            + "Sigmoid(fLeft)", "var c = Sigmoid(i) * Tanh(g) /* note */ + Sigmoid(fLeft)");
        var (_, second) = RunTwice(Declarations, moved);
        Assert.Contains(IncrementalStepRunReason.Modified, StepReasons(second, PrLstmGenerator.StepNames.Blocks));
        Assert.All(OutputReasons(second),
            reason => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, reason.ToString()));
    }

    [Fact]
    public void ChangingAGateReEmitsThatBlock()
    {
        var (_, second) = RunTwice(Declarations, Declarations.Replace("Sigmoid(fRight) * right.c", "Tanh(fRight) * right.c"));
        Assert.Contains(IncrementalStepRunReason.Modified, StepReasons(second, PrLstmGenerator.StepNames.CheckedLayers));
        Assert.Contains(IncrementalStepRunReason.Modified, OutputReasons(second));
    }

    [Fact]
    public void AddingABlockLeavesTheOthersCachedAndEmitsTheNewOne()
    {
        const string extra = """

            [CompositionBlock(GatesFrom = "h")]
            public static partial class SecondMerge
            {
                public static LstmState Compose(LstmState left, LstmState right, Vec i) =>
                    new LstmState { h = Tanh(i), c = left.c + right.c };
            }
            """;
        var (_, second) = RunTwice(Declarations, Declarations + extra);
        var reasons = StepReasons(second, PrLstmGenerator.StepNames.CheckedLayers).ToList();
        Assert.Contains(IncrementalStepRunReason.New, reasons);
        Assert.DoesNotContain(IncrementalStepRunReason.Modified, reasons);
        Assert.Contains(second.Results[0].GeneratedSources, s => s.HintName.EndsWith("SecondMerge.Layer.g.cs"));
    }
}
