using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using PrLstm.CodeFixes;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>Each code fix applied to the diagnostic it fixes, through a Roslyn workspace, and the result compared.</summary>
public class CodeFixTests
{
    private static async Task<string> ApplyAsync(CodeFixProvider provider, [StringSyntax("C#")] string source)
    {
        // The diagnostic as the build reports it: the generator's, or the compiler's for CS0103.
        var run = GeneratorHarness.Run(source);
        var diagnostic = run.GeneratorDiagnostics.Concat(run.Input.GetDiagnostics())
            .Single(d => provider.FixableDiagnosticIds.Contains(d.Id));

        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("Test", LanguageNames.CSharp).AddMetadataReferences(run.Input.References);
        var document = project.AddDocument("Source0.cs", SourceText.From(source), filePath: "Source0.cs");
        var tree = await document.GetSyntaxTreeAsync();
        var located = Diagnostic.Create(diagnostic.Descriptor, Location.Create(tree!, diagnostic.Location.SourceSpan),
            diagnostic.GetMessage());

        var actions = new List<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, located, (action, _) => actions.Add(action),
            CancellationToken.None));
        var operations = await Assert.Single(actions).GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution.GetDocument(document.Id)!;
        return (await changed.GetTextAsync()).ToString();
    }

    private static void AssertFixedCompiles(string fixedSource)
    {
        var run = GeneratorHarness.Run(fixedSource);
        Assert.Empty(run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public async Task MissingPartialIsAdded()
    {
        string source = TestSources.Usings + "[State]\npublic struct S\n{\n    [Size(\"H\")] public Vec h;\n}\n";
        string fixedSource = await ApplyAsync(new MakePartialCodeFix(), source);
        Assert.Equal(source.Replace("public struct S", "public partial struct S"), fixedSource);
        AssertFixedCompiles(fixedSource);
    }

    [Fact]
    public async Task MissingPartialIsAddedWithoutOtherModifiers()
    {
        string source = TestSources.Usings + "[State]\nstruct S\n{\n    [Size(\"H\")] public Vec h;\n}\n";
        Assert.Equal(source.Replace("\nstruct S", "\npartial struct S"), await ApplyAsync(new MakePartialCodeFix(), source));
    }

    [Fact]
    public async Task UnusedGateIsRemoved()
    {
        string source = TestSources.WithState("""
            [CompositionBlock(GatesFrom = "h")]
            public static partial class B
            {
                public static S Compose(S left, S right, Vec i, Vec spare, Vec o) => new S { h = Tanh(i) * Sigmoid(o), c = left.c };
            }
            """);
        string fixedSource = await ApplyAsync(new RemoveUnusedGateCodeFix(), source);
        Assert.Contains("Compose(S left, S right, Vec i, Vec o)", fixedSource);
        AssertFixedCompiles(fixedSource);
    }

    [Theory]
    [InlineData("Sigmod", "Sigmoid")]
    [InlineData("tanh", "Tanh")]
    [InlineData("ReLU", "Relu")]
    public async Task AMisspeltActivationBecomesTheOpsFunction(string misspelt, string function)
    {
        string source = TestSources.WithState($$"""
            [CompositionBlock(GatesFrom = "h")]
            public static partial class B
            {
                public static S Compose(S left, S right, Vec i) => new S { h = {{misspelt}}(i), c = left.c };
            }
            """);
        string fixedSource = await ApplyAsync(new UseOpsFunctionCodeFix(), source);
        Assert.Contains($"h = {function}(i)", fixedSource);
        AssertFixedCompiles(fixedSource);
    }

    [Theory]
    [InlineData("Softplus")]
    [InlineData("M")]
    public void NamesFarFromEveryOpsFunctionGetNoSuggestion(string name) => Assert.Null(UseOpsFunctionCodeFix.Closest(name));
}
