using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>One test per diagnostic ID; each asserts every diagnostic reported (id, message, and the located text).</summary>
public class DiagnosticTests
{
    private static void AssertDiagnostics([StringSyntax("C#")] string source, params (string Id, string Message, string At)[] expected)
    {
        var run = GeneratorHarness.Run(source);
        var actual = run.GeneratorDiagnostics
            .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
            .Select(d => (d.Id, d.GetMessage(), run.LocatedText(d)))
            .ToArray();
        Assert.Equal(expected, actual);
        // Errors stop the emission of the broken declaration, so no generated code can fail to compile.
        Assert.DoesNotContain(run.CompilationErrors, e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true);
    }

    [Fact]
    public void PRL0001_TypeNotPartial() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public struct S
        {
            [Size("H")] public Vec h;
        }
        """,
        ("PRL0001", "'S' must be declared partial so that the generator can add its Tensors record", "S"));

    [Fact]
    public void PRL0002_UnsupportedStatement() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i)
            {
                if (true) { }
                return new S { h = Tanh(i), c = left.c };
            }
        }
        """),
        ("PRL0002", "B.Compose contains 'if (true) { }', which a declaration body cannot hold; write local declarations followed by one "
            + "return of a new state object", "if (true) { }"));

    [Fact]
    public void PRL0003_UnknownFunction() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static Vec Gelu(Vec x) => x;
            public static S Compose(S left, S right, Vec i) => new S { h = Gelu(i), c = left.c };
        }
        """),
        ("PRL0003", "'Gelu' in B.Compose is not a PrLstm function; use Sigmoid, Tanh, Relu, Identity, Max or Min from PrLstm.Dsl.Ops",
            "Gelu"));

    [Fact]
    public void PRL0004_MissingMethod() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Merge(S left, S right) => left;
        }
        """),
        ("PRL0004", "B must declare exactly one public static method named 'Compose'", "B"));

    [Fact]
    public void PRL0005_NestedOrGenericDeclaration() => AssertDiagnostics(TestSources.WithState("""
        public static partial class Outer
        {
            [CompositionBlock(GatesFrom = "h")]
            public static partial class B
            {
                public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
            }
        }

        [State]
        public partial struct G<T>
        {
            [Size("H")] public Vec h;
        }
        """),
        ("PRL0005", "B cannot be a PrLstm declaration: it is nested in Outer", "B"),
        ("PRL0005", "G<T> cannot be a PrLstm declaration: it is generic", "G"));

    [Fact]
    public void PRL0006_InvalidStateField() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct S
        {
            [Size("H")] public Vec h;
            public Vec c;
            public float scale;
        }
        """,
        ("PRL0006", "Member 'c' of state S has no [Size(\"...\")]; state fields are public instance fields of type Vec with "
            + "[Size(\"name\")]", "c"),
        ("PRL0006", "Member 'scale' of state S has type float, not Vec; state fields are public instance fields of type Vec with "
            + "[Size(\"name\")]", "scale"));

    [Fact]
    public void PRL0006_FieldNamedLikeAGeneratedMember() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct S
        {
            [Size("H")] public Vec SqueezeTime;
            [Size("H")] public Vec h;
        }
        """,
        ("PRL0006", "Member 'SqueezeTime' of state S has the name of a member of the generated Tensors record; rename the field; state "
            + "fields are public instance fields of type Vec with [Size(\"name\")]", "SqueezeTime"));

    [Theory]
    [InlineData("Fields")]
    [InlineData("FieldNames")]
    [InlineData("FromFields")]
    [InlineData("DetachFromDisposeScope")]
    public void PRL0006_FieldNamedLikeAStreamingMember(string name) => AssertDiagnostics(TestSources.Usings + $$"""
        [State]
        public partial struct S
        {
            [Size("H")] public Vec {{name}};
            [Size("H")] public Vec h;
        }
        """,
        ("PRL0006", $"Member '{name}' of state S has the name of a member of the generated Tensors record; rename the field; state "
            + $"fields are public instance fields of type Vec with [Size(\"name\")]", name));

    [Fact]
    public void PRL0007_SizeNamedLikeTheStreamMethod() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct S
        {
            [Size("OpenStream")] public Vec h;
        }
        """,
        ("PRL0007", "Size name 'OpenStream' in S.h is not usable: the generated model already has a public member or constructor "
            + "parameter of that name", "h"));

    [Fact]
    public void PRL0007_InvalidSizeName() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct S
        {
            [Size("2H")] public Vec h;
        }
        """,
        ("PRL0007", "Size name '2H' in S.h is not usable: sizes become constructor parameters, so a size must be a C# identifier such as "
            + "\"H\"", "h"));

    [Fact]
    public void PRL0007_SizeNamedLikeAGeneratedMember() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct S
        {
            [Size("Encode")] public Vec h;
        }
        """,
        ("PRL0007", "Size name 'Encode' in S.h is not usable: the generated model already has a public member or constructor parameter of "
            + "that name", "h"));

    [Fact]
    public void PRL0008_UnknownGateSource() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "m")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }
        """),
        ("PRL0008", "GatesFrom of B names 'm', which is not a field of state S (its fields: h, c)", "CompositionBlock(GatesFrom = \"m\")"));

    [Fact]
    public void PRL0009_NotAState() => AssertDiagnostics(TestSources.Usings + """
        public struct Plain { }

        [TokenEncoder]
        public static partial class Leaf
        {
            public static Plain Encode(Vec i) => default;
        }
        """,
        ("PRL0009", "The return type of Leaf.Encode is Plain, which is not a [State] struct", "Plain"));

    [Fact]
    public void PRL0010_InvalidModelLayer() => AssertDiagnostics(TestSources.WithState("""
        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(Leaf))]
        public partial class M { }
        """),
        ("PRL0010", "Block of model M is Leaf (a token encoder), which is not a [CompositionBlock] declaration",
            "ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(Leaf))"));

    [Fact]
    public void PRL0011_MissingGateSource() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }
        """),
        ("PRL0011", "B must say which fields of S feed its gates: its state has several fields (h, c); set GatesFrom, for example "
            + "GatesFrom = \"h\"", "CompositionBlock"));

    [Fact]
    public void PRL0011_NotReportedWhenCSharpRejectsTheArgument()
    {
        var run = GeneratorHarness.Run(TestSources.WithState("""
            [CompositionBlock(GatesFrom = Fields.Gates)]
            public static partial class B
            {
                public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
            }

            public static class Fields { public static string Gates = "h"; }
            """));
        Assert.Contains(run.Input.GetDiagnostics(), d => d.Id == "CS0182"); // C#: not a constant
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == DiagnosticDescriptors.MissingGateSourceId);
    }

    [Fact]
    public void PRL0012_UnsupportedExpression() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = new Vec(), c = left.c + i };
        }
        """),
        ("PRL0012", "'new Vec()' in B.Compose is not supported: bodies use + - * /, unary minus, constants, gates, state fields, locals "
            + "and the PrLstm.Dsl.Ops functions", "new Vec()"));

    [Fact]
    public void PRL0013_InvalidAttributeArgument() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h", Projection = (GateProjection)7)]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }
        """),
        ("PRL0013", "Projection of B is 7, which is not GateProjection.Linear or GateProjection.Identity", "CompositionBlock(GatesFrom = "
            + "\"h\", Projection = (GateProjection)7)"));

    [Fact]
    public void PRL0014_InvalidProjection() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i)
            {
                var name = "dynamic";
                var a = Linear("mix", i) + Linear("mix", left.c);
                var b = Linear(name, i) + Linear("i", left.h) + LayerNorm("gates", i);
                return new S { h = a + b, c = Linear("c2", left.c, bias: 1 > 0) };
            }
        }
        """),
        ("PRL0012", "'\"dynamic\"' in B.Compose is not supported: bodies use + - * /, unary minus, constants, gates, state fields, locals "
            + "and the PrLstm.Dsl.Ops functions", "\"dynamic\""),
        ("PRL0014", "Linear 'mix' in B.Compose is declared twice; each Linear(...) and LayerNorm(...) has its own parameters and its own "
            + "name", "\"mix\""),
        ("PRL0014", "Linear 'name' in B.Compose has a name that is not a constant string; write Linear(\"candidate\", x)", "name"),
        ("PRL0014", "Linear 'i' in B.Compose has the name of a gate, parameter or local of the body; give it its own name", "\"i\""),
        ("PRL0014", "LayerNorm 'gates' in B.Compose needs a name that is a C# identifier other than 'gates' (it names the parameters, and "
            + "the gate projection's are 'gates.*')", "\"gates\""));

    [Fact]
    public void PRL1001_OperandsOfDifferentSizes() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct W
        {
            [Size("H")] public Vec h;
            [Size("M")] public Vec m;
        }

        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static W Compose(W left, W right, [Size("H")] Vec i)
            {
                var c = i * left.m;
                return new W { h = i, m = Max(left.m, right.h) };
            }
        }
        """,
        ("PRL1001", "Operands of '*' in B.Compose have sizes H and M", "*"),
        ("PRL1001", "Operands of 'Max' in B.Compose have sizes M and H", "Max(left.m, right.h)"));

    [Fact]
    public void PRL1002_WrongReturnType() => AssertDiagnostics(TestSources.WithState("""
        [State]
        public partial struct T2
        {
            [Size("H")] public Vec h;
        }

        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static T2 Compose(S left, S right, Vec i) => new T2 { h = i };
        }
        """),
        ("PRL1002", "B.Compose must return its state type S, not T2", "T2"));

    [Fact]
    public void PRL1003_FieldUnassigned() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = Tanh(i) };
        }
        """),
        ("PRL1003", "B.Compose does not assign S.c", "new S { h = Tanh(i) }"));

    [Fact]
    public void PRL1004_UnusedGateIsAWarningAndCodeIsStillEmitted()
    {
        var source = TestSources.WithState("""
            [CompositionBlock(GatesFrom = "h")]
            public static partial class B
            {
                public static S Compose(S left, S right, Vec i, Vec spare) => new S { h = Tanh(i), c = left.c };
            }
            """);
        AssertDiagnostics(source, ("PRL1004", "Gate 'spare' of B is never used; remove it or use it (its projection weights would never "
            + "train)", "spare"));
        var run = GeneratorHarness.Run(source);
        Assert.Equal(DiagnosticSeverity.Warning, run.GeneratorDiagnostics.Single().Severity);
        Assert.Contains(run.Result.Results[0].GeneratedSources, s => s.HintName == "Test.B.Layer.g.cs");
        Assert.Empty(run.CompilationErrors);
    }

    [Fact]
    public void PRL1005_GateSourceDoesNotMatchTheGates() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h", Projection = GateProjection.Identity)]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec a, Vec b, Vec z) => new S { h = a * b * z, c = left.c };
        }
        """),
        ("PRL1005", "The gate source [left.h ; right.h] of B has size 2·H, but its gates need 3·H", "CompositionBlock(GatesFrom = \"h\", "
            + "Projection = GateProjection.Identity)"));

    [Fact]
    public void PRL1006_ModelPartsUseDifferentStates() => AssertDiagnostics(TestSources.WithState("""
        [State]
        public partial struct T2
        {
            [Size("H")] public Vec h;
        }

        [CompositionBlock]
        public static partial class B
        {
            public static T2 Compose(T2 left, T2 right, Vec i) => new T2 { h = i };
        }

        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B))]
        public partial class M { }
        """),
        ("PRL1006", "Model M: Encoder Leaf uses state S, but Block B uses state T2", "ParallelRecursiveModel(Encoder = typeof(Leaf), "
            + "Block = typeof(B))"));

    [Fact]
    public void PRL1007_WrongArity() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S only, Vec i) => new S { h = i, c = only.c };
        }
        """),
        ("PRL1007", "B.Compose takes 1 state parameter(s) before its gates, but a composition block takes 2", "(S only, Vec i)"));

    [Fact]
    public void PRL1008_AssignedValueHasTheWrongSize() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct W
        {
            [Size("H")] public Vec h;
            [Size("M")] public Vec m;
        }

        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static W Compose(W left, W right) => new W { h = left.m, m = 1.0 };
        }
        """,
        ("PRL1008", "B.Compose assigns W.h (size H) a value of size M", "left.m"),
        ("PRL1008", "B.Compose assigns W.m (size M) a value of size 1 (a constant)", "1.0"));

    [Fact]
    public void PRL1009_GateSizeCannotBeInferred() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct W
        {
            [Size("H")] public Vec h;
            [Size("M")] public Vec m;
        }

        [RefinementBlock(GatesFrom = "h")]
        public static partial class R
        {
            public static W Refine(W state, Vec i) => new W { h = state.h, m = state.m };
        }
        """,
        ("PRL1009", "Gate 'i' of R.Refine has no size: the state's fields have different sizes (h: H, m: M); add [Size(\"...\")] to the "
            + "gate or set GateSize", "i"));

    [Fact]
    public void PRL1009_AGateWithoutASizeIsStillAGateInTheBody() => AssertDiagnostics(TestSources.Usings + """
        [State]
        public partial struct W
        {
            [Size("H")] public Vec h;
            [Size("M")] public Vec m;
        }

        [RefinementBlock(GatesFrom = "h")]
        public static partial class R
        {
            public static W Refine(W state, Vec i) => new W { h = Sigmoid(i) * state.h, m = state.m };
        }
        """,
        // Only the missing size: no follow-on error calling i "not a gate".
        ("PRL1009", "Gate 'i' of R.Refine has no size: the state's fields have different sizes (h: H, m: M); add [Size(\"...\")] to the "
            + "gate or set GateSize", "i"));

    [Fact]
    public void PRL1010_RefinementsWithoutARefinementBlock() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }

        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B), Refinements = 2)]
        public partial class M { }
        """),
        ("PRL1010", "Model M sets Refinements = 2 but names no Refinement block", "ParallelRecursiveModel(Encoder = typeof(Leaf), Block = "
            + "typeof(B), Refinements = 2)"));

    [Theory]
    [InlineData("-1", "-1")]
    [InlineData("int.MaxValue", "2147483647")]
    public void PRL1011_RefinementCountOutOfRange(string written, string value) => AssertDiagnostics(TestSources.WithState($$"""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }

        [RefinementBlock(GatesFrom = "h")]
        public static partial class R
        {
            public static S Refine(S state, Vec i) => new S { h = i, c = state.c };
        }

        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B), Refinement = typeof(R), Refinements = {{written}})]
        public partial class M { }
        """),
        ("PRL1011", $"Model M sets Refinements = {value}; it must be between 0 and 64",
            $"ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B), Refinement = typeof(R), Refinements = {written})"));

    [Fact]
    public void PRL1012_ChildrenOfDifferentStates() => AssertDiagnostics(TestSources.WithState("""
        [State]
        public partial struct T2
        {
            [Size("H")] public Vec h;
        }

        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, T2 right, Vec i) => new S { h = i, c = left.c };
        }
        """),
        ("PRL1012", "The children of B.Compose have different states: S and T2", "T2"));

    [Fact]
    public void PRL1013_SizeNamedLikeItsModel() => AssertDiagnostics(TestSources.Usings + """
        [State] public partial struct S { [Size("M")] public Vec h; }
        [TokenEncoder] public static partial class Leaf { public static S Encode(Vec a) => new S { h = a }; }
        [CompositionBlock] public static partial class B { public static S Compose(S left, S right) => new S { h = left.h + right.h }; }
        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B))] public partial class M { }
        """,
        ("PRL1013", "Size 'M' of model M has the model's own name; rename the size or the model", "ParallelRecursiveModel(Encoder = "
            + "typeof(Leaf), Block = typeof(B))"));

    [Fact]
    public void PRL0013_GatesFromNamesAFieldTwice() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h, h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }
        """),
        ("PRL0013", "GatesFrom of B is \"h, h\", which is not a list that names each field at most once ('h' is named twice)",
            "CompositionBlock(GatesFrom = \"h, h\")"));

    [Fact]
    public void PRL0002_StatementsAfterTheReturnAreReportedNotTheReturn() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i)
            {
                return new S { h = i, c = left.c };
                var late = i;
            }
        }
        """),
        ("PRL0002", "B.Compose contains 'var late = i;' after the return 'return new S { h = i, c = left.c };', which a declaration body "
            + "cannot hold; write local declarations followed by one return of a new state object", "var late = i;"));

    [Fact]
    public void PRL0005_LayerOrStateNamedLikeTheTypeTheGeneratorNestsInIt() => AssertDiagnostics(TestSources.Usings + """
        namespace Test;

        [State]
        public partial struct Tensors
        {
            [Size("H")] public Vec h;
        }

        [State]
        public partial struct S
        {
            [Size("H")] public Vec h;
        }

        [CompositionBlock]
        public static partial class Layer
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i };
        }
        """,
        ("PRL0005", "Tensors cannot be a PrLstm declaration: it is named Tensors, the name of the record the generator nests in it",
            "Tensors"),
        ("PRL0005", "Layer cannot be a PrLstm declaration: it is named Layer, the name of the TorchSharp class the generator nests in it",
            "Layer"));

    [Fact]
    public void PRL0005_ModelNamedLikeAMemberOfItsApi() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
        }

        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B))]
        public partial class Encode { }
        """),
        ("PRL0005", "Encode cannot be a PrLstm declaration: it is named like a member of the generated model (Encode); C# forbids a "
            + "member named like its type", "Encode"));

    [Fact]
    public void PRL1014_ModelOfABrokenLayerSaysOnceWhyItIsNotGenerated() => AssertDiagnostics(TestSources.WithState("""
        [CompositionBlock(GatesFrom = "h")]
        public static partial class B
        {
            public static S Compose(S left, S right, Vec i) => new S { h = Sigmod(i), c = left.c };
        }

        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B))]
        public partial class M { }
        """),
        ("PRL1014", "Model M is not generated: its composition block B has a C# error in its body, CS0103 (The name 'Sigmod' does not "
            + "exist in the current context); fix that first",
            "ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(B))"));

    [Fact]
    public void PRL9001_InternalErrorsBecomeDiagnosticsInsteadOfCrashes()
    {
        var run = GeneratorHarness.Run(new PrLstmGenerator { FailParseOf = name => name == "Boom" }, TestSources.WithState("""
            [CompositionBlock(GatesFrom = "h")]
            public static partial class Boom
            {
                public static S Compose(S left, S right, Vec i) => new S { h = i, c = left.c };
            }
            """));
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("PRL9001", diagnostic.Id);
        Assert.Equal("The PrLstm generator failed on Boom: InvalidOperationException: simulated failure. Please report this with the "
            + "declaration.", diagnostic.GetMessage());
        Assert.Equal("Boom", run.LocatedText(diagnostic));
    }
}
