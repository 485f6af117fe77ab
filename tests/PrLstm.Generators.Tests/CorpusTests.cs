using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// Declarations that C# accepts, as a new user writes them: keywords as names, every name the generated code uses for
/// itself reused by the user, nested unary operators, every constant form, every DSL construct. Each either gets a PRL
/// diagnostic on the user's own source, or generates code that compiles without a warning, in lines of at most 140
/// characters. Names in generated code come from its unique-name builder, so no case here needs a list of its own.
/// </summary>
public class CorpusTests
{
    /// <summary>The declaration every case varies: a state, an encoder, a block, a refinement and a model.</summary>
    private sealed record Template
    {
        public string Namespace { get; init; } = "Corpus";
        public string State { get; init; } = "S";
        public string H { get; init; } = "h";
        public string C { get; init; } = "c";
        public string Size { get; init; } = "H";
        public string Leaf { get; init; } = "Leaf";
        public string A { get; init; } = "a";
        public string Block { get; init; } = "B";
        public string Left { get; init; } = "left";
        public string Right { get; init; } = "right";
        public string I { get; init; } = "i";
        public string G { get; init; } = "g";
        public string T { get; init; } = "t";
        public string Refine { get; init; } = "R";
        public string Model { get; init; } = "M";

        /// <summary>The block's body; null for the default one.</summary>
        public string? Body { get; init; }

        public string Attribute { get; init; } = "";

        public string Source()
        {
            string body = Body ?? $"var {T} = Sigmoid({I}) * {Left}.{C} + Tanh({G}); return new {State} {{ {H} = Tanh({T}), {C} = {T} }};";
            string gatesFrom = Attribute.Length > 0 ? Attribute : $"GatesFrom = \"{Plain(H)}\"";
            return TestSources.Usings + $$"""
                namespace {{Namespace}}
                {
                    [State]
                    public partial struct {{State}}
                    {
                        [Size("{{Size}}"), Output] public Vec {{H}};
                        [Size("{{Size}}")] public Vec {{C}};
                    }

                    [TokenEncoder]
                    public static partial class {{Leaf}}
                    {
                        public static {{State}} Encode(Vec {{A}}, Vec {{I}}) =>
                            new {{State}} { {{H}} = Tanh({{A}}), {{C}} = Sigmoid({{I}}) * {{A}} };
                    }

                    [CompositionBlock({{gatesFrom}})]
                    public static partial class {{Block}}
                    {
                        public static {{State}} Compose({{State}} {{Left}}, {{State}} {{Right}}, Vec {{I}}, Vec {{G}})
                        {
                            {{body}}
                        }
                    }

                    [RefinementBlock(GatesFrom = "{{Plain(H)}}")]
                    public static partial class {{Refine}}
                    {
                        public static {{State}} Refine({{State}} {{Left}}, Vec {{I}}) =>
                            new {{State}} { {{H}} = Tanh({{I}}) * {{Left}}.{{H}}, {{C}} = {{Left}}.{{C}} };
                    }

                    [ParallelRecursiveModel(Encoder = typeof({{Leaf}}), Block = typeof({{Block}}),
                        Refinement = typeof({{Refine}}), Refinements = 1)]
                    public partial class {{Model}} { }
                }
                """;
        }

        private static string Plain(string name) => name.TrimStart('@');
    }

    private static readonly string[] Keywords =
    {
        "out", "in", "class", "event", "base", "this", "int", "double", "new", "return", "object", "string", "params", "ref",
        "fixed", "lock", "checked", "default", "is", "as", "namespace", "operator",
    };

    /// <summary>Names the generated files use for themselves (aliases, locals, fields, members), and TorchSharp's.</summary>
    private static readonly string[] GeneratedNames =
    {
        "torch", "Elementwise", "STensors", "scope", "projected", "chunks", "x", "gates", "gateSizes", "sigmoidI", "sigmoidsIToG", "tanhG",
        "one", "two", "half", "constant", "register_module", "forward", "ForwardDifferentiable", "ForwardInPlace", "encoder", "block",
        "refinementLayers", "Combiner", "leaves", "merged", "refinement", "layers", "k", "batch", "model", "parts", "evenParts", "odd",
        "fields", "start", "stop", "step", "hParts", "train", "name", "training", "Dispose", "Tensors", "Layer", "Encode", "Combine",
        "global", "System", "TorchSharp", "PrLstm", "Vec", "Ops", "H", "S", "M",
        "FusedMath", "FusedKernel", "ForwardFused", "KernelPath", "BodyKernel", "bodyKernel", "fused", "slots", "T", "dH", "leftC", "t2",
        "Column", "Apply",
    };

    public static IEnumerable<object[]> Cases()
    {
        var template = new Template();
        var cases = new List<(string Name, Template Template)> { ("default", template) };

        foreach (string keyword in Keywords)
        {
            string k = "@" + keyword;
            cases.Add(("keyword field h " + keyword, template with { H = k }));
            cases.Add(("keyword field c " + keyword, template with { C = k }));
            cases.Add(("keyword gate " + keyword, template with { I = k }));
            cases.Add(("keyword local " + keyword, template with { T = k }));
            cases.Add(("keyword parameter " + keyword, template with { Left = k }));
            cases.Add(("keyword encoder input " + keyword, template with { A = k }));
            cases.Add(("keyword learned name " + keyword, template with
            {
                Body = $"var t = Linear(\"{keyword}\", Tanh(i)) * left.c + g; "
                + $"return new S {{ h = t, c = Sigmoid(t) }};"
            }));
            cases.Add(("keyword size " + keyword, template with { Size = keyword }));
        }

        foreach (string name in GeneratedNames)
        {
            cases.Add(("generated name as gate " + name, template with { I = name }));
            cases.Add(("generated name as second gate " + name, template with { G = name }));
            cases.Add(("generated name as local " + name, template with { T = name }));
            if (name != "S") cases.Add(("generated name as field " + name, template with { C = name }));
            cases.Add(("generated name as parameter " + name, template with { Left = name }));
            cases.Add(("generated name as encoder input " + name, template with { A = name }));
            cases.Add(("generated name as learned name " + name, template with
            {
                Body = $"var t = LayerNorm(\"{name}\", i) * left.c + "
                + $"Linear(\"other\", g); return new S {{ h = t, c = Tanh(t) }};"
            }));
            cases.Add(("generated name as size " + name, template with { Size = name }));
            // (The template's own names S, M and Vec cannot name a second type: C# rejects that itself.)
            if (name is "S" or "M" or "Vec") continue;
            cases.Add(("generated name as model " + name, template with { Model = name }));
            cases.Add(("generated name as block " + name, template with { Block = name }));
            cases.Add(("generated name as state " + name, template with { State = name }));
            cases.Add(("generated name as namespace " + name, template with { Namespace = "Corpus." + name }));
        }

        string[] bodies =
        {
            // Nested unary operators.
            "return new S { h = -(-i), c = -(-(-g)) };",
            "return new S { h = - -i, c = -(-(-(g))) + -(-(left.c)) };",
            "return new S { h = -(i * -g), c = -(left.c) - -right.c };",
            "var t = -i; return new S { h = -t, c = -(-t * -t) };",
            // Every constant form.
            "return new S { h = i * 1, c = g * 1.0 + 1e-5 };",
            "return new S { h = i * 1f, c = g * 2.5e3 - 0.25 };",
            "return new S { h = i * double.NaN, c = g + double.PositiveInfinity };",
            "return new S { h = i - double.NegativeInfinity, c = g * double.Epsilon };",
            "return new S { h = i * double.MaxValue, c = g * -0.0 };",
            "return new S { h = i * (1.0 / 3.0), c = (2 - g) / 4 };",
            "const double k = 0.5; return new S { h = k * i, c = g / k };",
            "const double k = 0.5; var m = k * 2.0; return new S { h = m * i, c = g - m };",
            "var k = 0.5; var m = -k; return new S { h = m + i, c = m - g };",
            "return new S { h = 1.0 - i, c = 2.0 + g };",
            "return new S { h = i * (int)2, c = g * (double)3 };",
            "return new S { h = (i), c = ((g)) };",
            // Every construct of the DSL.
            "return new S { h = Sigmoid(i), c = Tanh(g) };",
            "return new S { h = Relu(i), c = Identity(g) };",
            "return new S { h = Max(i, g), c = Min(left.c, right.c) };",
            "return new S { h = Identity(left.h), c = Identity(left.h) };",
            "return new S { h = left.h, c = right.c };",
            "var t = left.h; return new S { h = t, c = t };",
            "return new S { h = i, c = i };",
            "var t = i * g; return new S { h = t, c = t };",
            "return new S { h = Linear(\"p\", i), c = Linear(\"q\", g, bias: false) };",
            "return new S { h = Linear(name: \"p\", input: i), c = LayerNorm(\"n\", g) };",
            "return new S { h = Linear(\"p\", i, false), c = Tanh(LayerNorm(\"n\", Linear(\"q\", g))) };",
            "var t = Sigmoid(i) * Tanh(g) + Sigmoid(i) * left.c; return new S { h = Sigmoid(i), c = t };",
            "var t = Sigmoid(i) * Sigmoid(g); return new S { h = t * left.h, c = Sigmoid(g) + Sigmoid(i) };",
            "var t = Tanh(i) * Tanh(g); return new S { h = t + left.h * right.h, c = left.c * right.c + t };",
            "return new S { h = i / 2 / 3, c = g * (left.c * right.c) };",
            "return new S { h = i * g * left.c * right.c, c = i * (g * (left.c * right.c)) };",
            "var a = i; var b = a; var d = b; return new S { h = d, c = a };",
            "return new S { h = Max(Max(i, g), Min(i, g)), c = Relu(-g) };",
            "return new S { h = " + string.Join(" + ", Enumerable.Range(0, 60).Select(n => $"Tanh(i) * {n}.5")) + ", c = g };",
            "return new S { h = Tanh(" + string.Concat(Enumerable.Repeat("Sigmoid(", 40)) + "i" + new string(')', 40) + "), c = g };",
        };
        for (int b = 0; b < bodies.Length; b++)
            cases.Add(("body " + b + ": " + bodies[b].Substring(0, Math.Min(60, bodies[b].Length)), template with { Body = bodies[b] }));

        string[] attributes =
        {
            "GatesFrom = \"h, h\"",
            "GatesFrom = \"h,c\"",
            "GatesFrom = \" c \"",
            "GatesFrom = \"h\", GateSize = \"H\"",
            "GatesFrom = \"h\", Projection = GateProjection.Identity",
            "GatesFrom = \"h, c\", Projection = GateProjection.Identity",
        };
        foreach (string attribute in attributes)
            cases.Add(("attribute " + attribute, template with { Attribute = attribute }));

        foreach (var (name, t) in cases)
            yield return new object[] { name, t.Source() };
    }

    [Fact]
    public void TheCorpusHasAtLeastTwoHundredDeclarations() => Assert.True(Cases().Count() >= 200, Cases().Count().ToString());

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryDeclarationCompilesOrGetsAPrlDiagnosticOnTheUsersCode(string name, string source)
    {
        var run = GeneratorHarness.Run(source);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == DiagnosticDescriptors.InternalErrorId);
        var userErrors = run.Input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(userErrors.Count == 0, name + ": C# rejects the test declaration itself: " + string.Join("; ", userErrors));

        var prlErrors = run.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        foreach (var error in prlErrors)
            Assert.True(error.Location.IsInSource || error.Location.GetLineSpan().Path == "Source0.cs", name + ": " + error
                + " does not point at the user's code");

        var generated = run.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true)
            .ToList();
        Assert.True(generated.Count == 0, name + ": generated code does not compile cleanly:\n" + string.Join("\n", generated));
        if (prlErrors.Count == 0)
            Assert.Contains(run.Result.GeneratedTrees, t => t.FilePath.EndsWith(".Model.g.cs"));

        foreach (var tree in run.Result.GeneratedTrees)
            foreach (var line in tree.GetText().Lines)
                Assert.True(line.ToString().Length <= 140, name + ": a line of " + line.ToString().Length + " characters in "
                    + Path.GetFileName(tree.FilePath) + ": " + line);
    }
}
