using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// The rewrites the emitter makes for speed fire only where they compute the same thing: sum + a * b becomes one
/// addcmul only when all three are tensors; the sigmoid of all gates at once only for gates used as Sigmoid(gate)
/// alone; every generated file still compiles.
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
        return run.Result.GeneratedTrees.Single(t => t.FilePath.EndsWith(type + ".Layer.g.cs")).GetText().ToString();
    }

    [Fact]
    public void SumOfTensorProductsBecomesAddProduct()
    {
        var run = GeneratorHarness.Run(Block("M", "var c = Sigmoid(i) * Tanh(g) + Sigmoid(a) * left.c + Sigmoid(b) * right.c; return new S { h = Sigmoid(o) * Tanh(c), c = c };"));
        string layer = Layer(run, "M");
        Assert.Contains("var c = global::PrLstm.Runtime.Modules.Elementwise.AddProduct(global::PrLstm.Runtime.Modules.Elementwise.AddProduct(sigmoids[0] * global::PrLstm.Runtime.Modules.Elementwise.Tanh(g), sigmoids[3], left.c), sigmoids[4], right.c);", layer);
    }

    [Fact]
    public void ProductsWithNumbersStayOperators()
    {
        var run = GeneratorHarness.Run(Block("N", "var k = 0.5; var c = left.c + k * right.c + 2.0 * i + (g * a) * 0.25 - o * b; return new S { h = c + 1.0, c = c };"));
        string layer = Layer(run, "N");
        Assert.DoesNotContain("AddProduct", layer);
        Assert.DoesNotContain("sigmoids", layer);
    }

    [Fact]
    public void SigmoidOfAllGatesOnlyForGatesUsedAsSigmoidAlone()
    {
        // i is also used bare, a is returned as Sigmoid(a) itself (a field must not be a view of a shared tensor):
        // only o and b qualify, two of five gates, fewer than half, so no fused sigmoid.
        var few = GeneratorHarness.Run(Block("P", "var c = Sigmoid(i) * i + Sigmoid(o) * Tanh(g) + Sigmoid(b) * right.c; return new S { h = Sigmoid(a), c = c };"));
        Assert.DoesNotContain("sigmoids", Layer(few, "P"));

        // Gates i, o, a, b only under Sigmoid (o twice): one sigmoid over all five gates; g goes through Tanh.
        var many = GeneratorHarness.Run(Block("Q", "var c = Sigmoid(i) * Tanh(g) + Sigmoid(a) * left.c + Sigmoid(b) * Sigmoid(o); return new S { h = Sigmoid(o) * Tanh(c), c = c };"));
        string layer = Layer(many, "Q");
        Assert.Contains("var sigmoids = torch.sigmoid(projected).split(gateSizes, -1);", layer);
        Assert.Contains("sigmoids[2] * global::PrLstm.Runtime.Modules.Elementwise.Tanh(c)", layer);
        Assert.DoesNotContain("torch.sigmoid(i)", layer);
    }

    [Fact]
    public void InPlacePathWritesOnlyIntoFreshTemporaries()
    {
        var run = GeneratorHarness.Run(Block("R", "var t = Sigmoid(a) * Sigmoid(b); var c = t * t + left.c * right.c - i; return new S { h = Tanh(c) * Sigmoid(o) + t, c = -(g * c) };"));
        string layer = Layer(run, "R");
        string inPlace = layer.Substring(layer.IndexOf("ForwardInPlace(global::", StringComparison.Ordinal));
        // Gates, fields and locals are read, never written: no in-place method is called on a name.
        Assert.DoesNotMatch(@"(?<![\w.)])(i|g|o|a|b|t|c|left\.c|right\.c|left\.h|right\.h)\.\w+_\(", inPlace);
        Assert.Contains("var t = sigmoids[3] * sigmoids[4];", inPlace);
        Assert.Contains("var c = global::PrLstm.Runtime.Modules.Elementwise.AddProductInPlace(t * t, left.c, right.c).sub_(i);", inPlace);
        Assert.Contains("h: global::PrLstm.Runtime.Modules.Elementwise.AddProduct(t, global::PrLstm.Runtime.Modules.Elementwise.Tanh(c), sigmoids[2]),", inPlace);
        Assert.Contains("c: (g * c).neg_()", inPlace);
    }
}
