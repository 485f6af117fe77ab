using PrLstm.Generators.Model;
using PrLstm.Generators.Plan;
using PrLstm.Generators.Tables;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>The plan stage and its passes, asserted on plans (typed statements), not on printed text.</summary>
public class PlanTests
{
    /// <summary>The checked layer of the block B declared with this body (through the real parse and check).</summary>
    private static CheckedLayer Checked(string body, string gates = "Vec i, Vec g, Vec o, Vec a, Vec b",
        string attribute = "GatesFrom = \"h\"")
    {
        var run = GeneratorHarness.Run(TestSources.WithState($$"""
            [CompositionBlock({{attribute}})]
            public static partial class B
            {
                public static S Compose(S left, S right, {{gates}})
                {
                    {{body}}
                }
            }
            """));
        return run.Result.Results[0].TrackedSteps[PrLstmGenerator.StepNames.CheckedLayers]
            .SelectMany(s => s.Outputs).Select(o => o.Value).OfType<CheckedLayer>().Single(l => l.Spec.Type.Name == "B");
    }

    /// <summary>The value of a local, or of a field when no local has that name.</summary>
    private static Node Value(LayerPlan plan, string target) =>
        (plan.Statements.FirstOrDefault(s => s.Target == target && s.Kind == StatementKind.Local)
            ?? plan.Statements.Single(s => s.Target == target)).Value;

    private static Node Field(LayerPlan plan, string field) =>
        plan.Statements.Single(s => s.Target == field && s.Kind == StatementKind.Field).Value;

    /// <summary>A plan tree as text: Op(inputs), leaves by name, constants by value, * for in place.</summary>
    private static string Show(Node node) => node.Op switch
    {
        Op.Constant => node.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Op.Gate or Op.Local => node.Name,
        Op.Field => node.Name + "." + node.Field,
        Op.GateActivation => node.Activation + "[" + node.Name + "]",
        _ => node.Op + (node.InPlace ? "*" : "") + "(" + string.Join(", ", node.Inputs.Select(Show)) + ")",
    };

    [Fact]
    public void LoweringFoldsNumbersDropsIdentityAndKeepsNumberLocalsOutOfTheStatements()
    {
        var plan = Passes.Lower(Checked("var k = 0.5; var m = k * 2.0 - 3.0; var t = Identity(i) * m; return new S { h = -(-t), c = t / k "
            + "};"), inPlace: false);
        Assert.Equal(new[] { "t", "h", "c" }, plan.Statements.Select(s => s.Target));
        Assert.Equal("Multiply(i, -2)", Show(Value(plan, "t")));
        Assert.Equal("Negate(Negate(t))", Show(Value(plan, "h")));
        Assert.Equal("Divide(t, 0.5)", Show(Value(plan, "c")));
        Assert.All(plan.Statements.SelectMany(s => Passes.Walk(s.Value)), n => Assert.Equal(n.Op == Op.Constant, n.IsScalar));
    }

    [Fact]
    public void AddProductOnlyForThreeTensors()
    {
        var plan = Passes.FuseAddProduct(Passes.Lower(Checked("var t = left.c + i * g; var u = 2.0 * i + left.c; return new S { h = i * g "
            + "+ t, c = u + t };"), inPlace: false));
        Assert.Equal("AddProduct(left.c, i, g)", Show(Value(plan, "t")));
        Assert.Equal("Add(Multiply(2, i), left.c)", Show(Value(plan, "u")));
        Assert.Equal("AddProduct(t, i, g)", Show(Value(plan, "h")));
        Assert.Equal("Add(u, t)", Show(Value(plan, "c")));
    }

    [Fact]
    public void GateActivationsAreNamedPerRunOfAdjacentGatesUsedOnlyThroughThem()
    {
        // o, a, b: only Sigmoid, adjacent; i: also read bare; g: Tanh alone (a run of one stays inline).
        var plan = Passes.Plan(Checked("var c = Sigmoid(i) * i + Tanh(g) * Sigmoid(o) + Sigmoid(a) * Sigmoid(b); return new S { h = "
            + "Sigmoid(o) * c, c = c };"), inPlace: false);
        var run = Assert.Single(plan.Runs);
        Assert.Equal(Op.Sigmoid, run.Activation);
        Assert.Equal(new[] { 2, 3, 4 }, run.Gates);
        Assert.Equal(new bool[] { true, true, false, false, false }, plan.Gates.Select(g => g.ReadRaw));
        Assert.False(plan.ActivateAllInPlace);
        Assert.Contains("Sigmoid[o]", Show(Value(plan, "h")));
        Assert.Contains("Sigmoid(i)", Show(Value(plan, "c")));
        Assert.Contains("Tanh(g)", Show(Value(plan, "c")));
    }

    [Fact]
    public void AnActivationThatIsAWholeValueIsNotShared()
    {
        // Sigmoid(a) is the whole of field h: a field must not be a view of the shared projection.
        var plan = Passes.Plan(Checked("return new S { h = Sigmoid(a), c = Sigmoid(b) * left.c };", gates: "Vec a, Vec b"), inPlace: true);
        Assert.Empty(plan.Runs);
        Assert.False(plan.ActivateAllInPlace);
        Assert.Equal("Sigmoid(a)", Show(Value(plan, "h")));
    }

    [Fact]
    public void WithoutAGradientEveryGateUsedThroughOneActivationIsActivatedInPlace()
    {
        var plan = Passes.Plan(Checked("var c = Sigmoid(i) * Tanh(g) + Sigmoid(a) * left.c; return new S { h = Sigmoid(o) * Tanh(c), c = "
            + "c };", gates: "Vec i, Vec g, Vec o, Vec a"), inPlace: true);
        Assert.True(plan.ActivateAllInPlace);
        Assert.Equal(new Op?[] { Op.Sigmoid, Op.Tanh, Op.Sigmoid, Op.Sigmoid }, plan.Gates.Select(g => g.Activation));
        Assert.Equal("AddProduct*(Multiply(Sigmoid[i], Tanh[g]), Sigmoid[a], left.c)", Show(Value(plan, "c")));
        Assert.Equal("Multiply*(Tanh(c), Sigmoid[o])", Show(Value(plan, "h")));

        // A parameter-free projection is the caller's tensor: never activated in place.
        var identity = Passes.Plan(Checked("return new S { h = Sigmoid(i), c = Tanh(g) * left.c };", gates: "[Size(\"H\")] Vec i, "
            + "[Size(\"H\")] Vec g",
            attribute: "GatesFrom = \"h\", Projection = GateProjection.Identity"), inPlace: true);
        Assert.False(identity.ActivateAllInPlace);
    }

    [Fact]
    public void InPlaceWritesOnlyIntoOwnedTemporariesAndNeverWithAGradient()
    {
        string body = "var t = Sigmoid(a) * Sigmoid(b); var c = t * t + left.c * right.c - i; return new S { h = Tanh(c) * Sigmoid(o) + "
            + "t, c = -(g * c) + 1.0 - (2.0 - t * g) };";
        var inPlace = Passes.Plan(Checked(body), inPlace: true);
        var nodes = inPlace.Statements.SelectMany(s => Passes.Walk(s.Value)).ToList();
        Assert.Contains(nodes, n => n.InPlace);
        foreach (var node in nodes.Where(n => n.InPlace))
            Assert.True(node.Inputs[0].Owned || (node.Op == Op.Subtract && node.Inputs[0].IsScalar && node.Inputs[1].Owned),
                node.ToString());
        Assert.All(nodes.Where(n => n.Op is Op.Gate or Op.Field or Op.Local or Op.GateActivation or Op.Constant),
            n => Assert.False(n.Owned));
        Assert.Contains("Subtract*(2, Multiply(t, g))", Show(Field(inPlace, "c")));

        var differentiable = Passes.Plan(Checked(body), inPlace: false);
        Assert.DoesNotContain(differentiable.Statements.SelectMany(s => Passes.Walk(s.Value)), n => n.InPlace);
    }

    [Fact]
    public void FieldsThatWouldShareATensorAreReturnedAsAliases()
    {
        var plan = Passes.Plan(Checked("var t = left.h; var u = i * g; return new S { h = t, c = u };"), inPlace: false);
        Assert.True(plan.Statements.Single(s => s.Target == "h").Alias); // the caller's tensor
        Assert.False(plan.Statements.Single(s => s.Target == "c").Alias);
        var twice = Passes.Plan(Checked("var u = i * g; return new S { h = u, c = u };"), inPlace: false);
        Assert.Equal(new[] { false, true }, twice.Statements.Where(s => s.Kind == StatementKind.Field).Select(s => s.Alias));
    }
}
