using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// The plan's rewrites, as they read in the generated code: sum + a * b becomes one addcmul only when all three are
/// tensors; gate activations are named and computed once per run of adjacent gates; the path without a gradient
/// writes only into temporaries it owns; every generated file still compiles.
/// </summary>
public class EmissionTests
{
    private static string Block(string name, string body, string gates = "Vec i, Vec g, Vec o, Vec a, Vec b") => TestSources.WithState($$"""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class {{name}}
        {
            public static S Compose(S left, S right, {{gates}})
            {
                {{body}}
            }
        }
        """);

    private static string Layer(GeneratorRun run, string type)
    {
        Assert.Empty(run.CompilationErrors);
        string text = run.Result.GeneratedTrees.Single(t => t.FilePath.EndsWith(type + ".Layer.g.cs")).GetText().ToString();
        // Statements broken over lines (at 140 characters) read as one line here.
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\(\n\s*", "(");
        return System.Text.RegularExpressions.Regex.Replace(text, @",\n\s*(?!//)", ", ");
    }

    private static string Differentiable(string layer) =>
        layer.Substring(layer.IndexOf("ForwardDifferentiable(S", StringComparison.Ordinal),
            layer.IndexOf("ForwardInPlace(S", StringComparison.Ordinal) - layer.IndexOf("ForwardDifferentiable(S",
                StringComparison.Ordinal));

    private static string InPlace(string layer) => layer.Substring(layer.IndexOf("ForwardInPlace(S", StringComparison.Ordinal));

    [Fact]
    public void SumOfTensorProductsBecomesAddProduct()
    {
        var run = GeneratorHarness.Run(Block("M", "var c = Sigmoid(i) * Tanh(g) + Sigmoid(a) * left.c + Sigmoid(b) * right.c; return new "
            + "S { h = Sigmoid(o) * Tanh(c), c = c };"));
        string layer = Differentiable(Layer(run, "M"));
        Assert.Contains("var c = Elementwise.AddProduct(Elementwise.AddProduct(torch.sigmoid(i) * Elementwise.Tanh(g), sigmoidA, left.c), "
            + "sigmoidB, right.c);", layer);
    }

    [Fact]
    public void LinearMapsRunThroughProjectionForwardOnEveryPath()
    {
        var run = GeneratorHarness.Run(Block("P", "return new S { h = Linear(\"p\", i) * Sigmoid(o), c = LayerNorm(\"n\", g) + left.c };",
            "Vec i, Vec g, Vec o"));
        string layer = Layer(run, "P");
        // The gate projection and the body's Linear on all three paths (differentiable, in place, fused); LayerNorm stays a module.
        Assert.Equal(3, CountOf(layer, "var projected = Projection.Forward(gates, torch.cat(new[] { left.h, right.h }, -1));"));
        Assert.Equal(3, CountOf(layer, "Projection.Forward(p, ")); // of i, or on the fused path of its columns of the projection
        Assert.DoesNotContain("gates.forward(", layer);
        Assert.DoesNotContain("p.forward(", layer);
        Assert.Equal(3, CountOf(layer, "n.forward("));
        Assert.Contains("using Projection = global::PrLstm.Runtime.CompilerServices.Projection;", layer);
    }

    private static int CountOf(string text, string part) =>
        System.Text.RegularExpressions.Regex.Matches(text, System.Text.RegularExpressions.Regex.Escape(part)).Count;

    [Fact]
    public void ProductsWithNumbersStayOperatorsAndNumbersAreRootedScalars()
    {
        var run = GeneratorHarness.Run(Block("N", "var k = 0.5; var c = left.c + k * right.c + 2.0 * i + (g * a) * 0.25 - o * b; return "
            + "new S { h = c + 1.0, c = c };"));
        string layer = Layer(run, "N");
        Assert.DoesNotContain("AddProduct", layer);
        Assert.Contains("private static readonly global::TorchSharp.Scalar half = 0.5;", layer);
        Assert.Contains("// var k = 0.5;  (a number: folded into its uses)", layer);
        Assert.Contains("Elementwise.Add(Elementwise.Add(Elementwise.Add(left.c, half * right.c), two * i), g * a * constant)", layer);
        Assert.Contains("h: Elementwise.Add(c, one)", layer);
    }

    [Fact]
    public void AdjacentGatesUsedAsSigmoidAloneShareOneCallAndOthersStayInline()
    {
        // i is also used bare, a is returned as Sigmoid(a) itself (a field must not be a view of a shared tensor): only o and b
        // qualify, and they are not adjacent, so every activation stays inline.
        var few = Differentiable(Layer(GeneratorHarness.Run(Block("P", "var c = Sigmoid(i) * i + Sigmoid(o) * Tanh(g) + Sigmoid(b) * "
            + "right.c; return new S { h = Sigmoid(a), c = c };")), "P"));
        Assert.DoesNotContain("OfGates", few);
        Assert.Contains("torch.sigmoid(o)", few);

        // o, a, b are adjacent and only under Sigmoid: one call over their part of the projection; i alone stays inline.
        var many = Differentiable(Layer(GeneratorHarness.Run(Block("Q", "var c = Sigmoid(i) * Tanh(g) + Sigmoid(a) * left.c + Sigmoid(b) "
            + "* Sigmoid(o); return new S { h = Sigmoid(o) * Tanh(c), c = c };")), "Q"));
        Assert.Contains("var sigmoidsOToB = Elementwise.SigmoidOfGates(projected, gateSizes, first: 2, count: 3);", many);
        Assert.Contains("h: sigmoidO * Elementwise.Tanh(c)", many);
        Assert.Contains("torch.sigmoid(i)", many);
        Assert.DoesNotContain("var o = ", many); // no dead locals
    }

    [Fact]
    public void InPlacePathWritesOnlyIntoFreshTemporaries()
    {
        var run = GeneratorHarness.Run(Block("R", "var t = Sigmoid(a) * Sigmoid(b); var c = t * t + left.c * right.c - i; return new S { "
            + "h = Tanh(c) * Sigmoid(o) + t, c = -(g * c) };"));
        string inPlace = InPlace(Layer(run, "R"));
        // Gates, fields and locals are read, never written: no in-place method is called on a name.
        Assert.DoesNotMatch(@"(?<![\w.)])(i|g|o|a|b|t|c|left\.c|right\.c|left\.h|right\.h)\.\w+_\(", inPlace);
        Assert.Contains("var t = sigmoidA * sigmoidB;", inPlace);
        Assert.Contains("var c = Elementwise.SubtractInPlace(Elementwise.AddProductInPlace(t * t, left.c, right.c), i);", inPlace);
        Assert.Contains("h: Elementwise.AddProduct(t, Elementwise.Tanh(c), sigmoidO),", inPlace);
        Assert.Contains("c: (g * c).neg_()", inPlace);
    }
}
