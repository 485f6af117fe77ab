using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>The pipeline's records: value equality, no Roslyn objects inside, and the pure checks on hand-built specs.</summary>
public class ModelTests
{
    private static List<object> Outputs(string step, params string[] sources)
    {
        var run = GeneratorHarness.Run(sources);
        return run.Result.Results[0].TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
    }

    [Fact]
    public void CompilingTheSameSourceTwiceGivesEqualModels()
    {
        string source = TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs");
        var first = Outputs(PrLstmGenerator.StepNames.CheckedLayers, source);
        var second = Outputs(PrLstmGenerator.StepNames.CheckedLayers, source);
        Assert.Equal(3, first.Count);
        Assert.Equal(first, second);
        Assert.Equal(first.Select(o => o.GetHashCode()), second.Select(o => o.GetHashCode()));
    }

    [Fact]
    public void ModelsHoldNoSymbolsSyntaxOrCompilations()
    {
        string source = TestSources.Repository("examples/FormalLanguages/Models/PrLstmCells.cs");
        foreach (string step in new[] { PrLstmGenerator.StepNames.States, PrLstmGenerator.StepNames.Blocks,
            PrLstmGenerator.StepNames.CheckedModels })
            foreach (object output in Outputs(step, source))
                AssertNoRoslynObjects(output, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private static void AssertNoRoslynObjects(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree,
            $"{path} holds a {value.GetType().Name}");
        if (value is DiagnosticDescriptor or Microsoft.CodeAnalysis.Text.TextSpan or Microsoft.CodeAnalysis.Text.LinePositionSpan) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (object? item in items) AssertNoRoslynObjects(item, $"{path}[{i++}]", seen);
            return;
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            AssertNoRoslynObjects(property.GetValue(value), path + "." + property.Name, seen);
    }

    [Fact]
    public void SizeChecksRunOnHandBuiltSpecsWithoutRoslyn()
    {
        var state = new StateSpec(new TypeRef("global::T.S", "T", "S", "struct", false),
            new[] { new FieldSpec("h", "H"), new FieldSpec("m", "M") }.ToEquatableArray(), "h", EquatableArray<string>.Empty);
        var body = new Binary(0, Op.Add, new GateRef(1, "i"), new FieldRef(2, "left", "m"));
        var spec = new LayerSpec(LayerKind.Block, new TypeRef("global::T.B", "T", "B", "class", true), state,
            new[] { "left", "right" }.ToEquatableArray(), new[] { new GateSpec("i", "H") }.ToEquatableArray(), ProjectionKind.Linear,
            new[] { "h" }.ToEquatableArray(), EquatableArray<LocalSpec>.Empty,
            new[] { new AssignmentSpec("h", body, "h = i + left.m"),
                new AssignmentSpec("m", new FieldRef(3, "right", "m"), "m = right.m") }.ToEquatableArray(),
            EquatableArray<string>.Empty);
        var locations = new LayerLocations(null, null, null, null, new LocationInfo?[] { null }.ToEquatableArray(),
            new LocationInfo?[4].ToEquatableArray());

        var result = LayerChecks.Check(new ParsedLayer(spec, locations, EquatableArray<DiagnosticInfo>.Empty, null));

        Assert.Null(result.Value);
        Assert.Equal(new[] { "PRL1001: Operands of '+' in B.Compose have sizes H and M" },
            result.Diagnostics.Select(d => d.Descriptor.Id + ": " + d.ToDiagnostic().GetMessage()));
    }

    [Theory]
    [InlineData(new[] { "H", "H" }, "2·H", "2 * H")]
    [InlineData(new[] { "H", "M", "H" }, "2·H + M", "2 * H + M")]
    [InlineData(new[] { "E" }, "E", "E")]
    public void SizeSumsAreFormattedForPeopleAndForCode(string[] terms, string text, string code)
    {
        Assert.Equal(text, Sizes.Format(terms));
        Assert.Equal(code, Sizes.ToCSharp(terms));
        Assert.True(Sizes.SameSum(terms, terms.Reverse()));
    }
}
