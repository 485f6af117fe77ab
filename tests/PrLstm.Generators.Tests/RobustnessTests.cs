using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>Malformed declarations: the generator reports diagnostics (its own, or C#'s) and never throws.</summary>
public class RobustnessTests
{
    public static TheoryData<string, string> Malformed() => new()
    {
        { "attribute on a record", "[State] public partial record struct S([property: Size(\"H\")] Vec h);" },
        { "attribute on a class state", "[TokenEncoder] public partial class Leaf { public static S Encode(Vec a) => new S { h = a, c = a "
            + "}; }" },
        { "size without argument", "[State] public partial struct Q { [Size(null!)] public Vec h; }" },
        { "empty size", "[State] public partial struct Q { [Size(\"\")] public Vec h; }" },
        { "size keyword", "[State] public partial struct Q { [Size(\"class\")] public Vec h; }" },
        { "reserved size", "[State] public partial struct Q { [Size(\"inputSize\")] public Vec h; }" },
        { "state without fields", "[State] public partial struct Q { }" },
        { "static field only", "[State] public partial struct Q { [Size(\"H\")] public static Vec h; }" },
        { "private field", "[State] public partial struct Q { [Size(\"H\")] private Vec h; }" },
        { "property field", "[State] public partial struct Q { [Size(\"H\")] public Vec H { get; set; } }" },
        { "state attribute on a second part of the state", "[State] public partial struct S { }" },
        { "a block declared twice", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, "
            + "S r, Vec i) => new S { h = i, c = l.c }; } [CompositionBlock(GatesFrom = \"h\")] public static partial class B { }" },
        { "two outputs", "[State] public partial struct Q { [Size(\"H\"), Output] public Vec a; [Size(\"H\"), Output] public Vec b; }" },
        { "instance method", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public S Compose(S l, S r, Vec i) => "
            + "l; }" },
        { "overloads", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i) => "
            + "l; public static S Compose(S l, S r) => l; }" },
        { "generic method", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose<T>(S l, S r, "
            + "Vec i) => l; }" },
        { "abstract body", "[CompositionBlock(GatesFrom = \"h\")] public abstract partial class B { public static extern S Compose(S l, S "
            + "r, Vec i); }" },
        { "syntax error in body", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S "
            + "r, Vec i) { var x = ; return new S { h = i, c = l.c }; } }" },
        { "unknown name", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i) "
            + "=> new S { h = Sigmod(i), c = l.c }; }" },
        { "returns a parameter", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, "
            + "Vec i) => l; }" },
        { "returns default", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec "
            + "i) => default; }" },
        { "empty constructor parentheses", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S "
            + "Compose(S l, S r, Vec i) => new S() { h = i, c = l.c }; }" },
        { "loop", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i) { for "
            + "(;;) { } } }" },
        { "local function", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec "
            + "i) { Vec F(Vec v) => v; return new S { h = F(i), c = l.c }; } }" },
        { "lambda", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i) { "
            + "System.Func<Vec, Vec> f = v => v; return new S { h = f(i), c = l.c }; } }" },
        { "conditional", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i) "
            + "=> new S { h = true ? i : i, c = l.c }; }" },
        { "empty GatesFrom", "[CompositionBlock(GatesFrom = \"\")] public static partial class B { public static S Compose(S l, S r, Vec "
            + "i) => new S { h = i, c = l.c }; }" },
        { "odd GatesFrom", "[CompositionBlock(GatesFrom = \",, h,,\")] public static partial class B { public static S Compose(S l, S r, "
            + "Vec i) => new S { h = i, c = l.c }; }" },
        { "bad projection value", "[CompositionBlock(GatesFrom = \"h\", Projection = (GateProjection)7)] public static partial class B { "
            + "public static S Compose(S l, S r, Vec i) => new S { h = i, c = l.c }; }" },
        { "non-Vec gate", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec i, "
            + "int k) => new S { h = i, c = l.c }; }" },
        { "three children", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S a, S b, S c, "
            + "Vec i) => new S { h = i, c = a.c }; }" },
        { "state of int", "[RefinementBlock] public static partial class R { public static int Refine(int s, Vec i) => s; }" },
        { "model without parts", "[ParallelRecursiveModel] public partial class M { }" },
        { "model of non-parts", "[ParallelRecursiveModel(Encoder = typeof(string), Block = typeof(int))] public partial class M { }" },
        { "static model", "[ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(Leaf))] public static partial class M { }" },
        { "generic model", "[ParallelRecursiveModel(Encoder = typeof(Leaf))] public partial class M<T> { }" },
        { "model with base class", "public class Base { } [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(Leaf))] public "
            + "partial class M : Base { }" },
        { "nested model", "public partial class Outer { [ParallelRecursiveModel(Encoder = typeof(Leaf))] public partial class M { } }" },
        { "attribute on interface", "[TokenEncoder] public interface I { }" },
        { "unfinished declaration", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S "
            + "r, Vec i) => new S { h = " },
        { "huge expression", "[CompositionBlock(GatesFrom = \"h\")] public static partial class B { public static S Compose(S l, S r, Vec "
            + "i) => new S { h = " + string.Join(" + ", Enumerable.Repeat("Tanh(i)", 500)) + ", c = l.c }; }" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedDeclarationsGiveDiagnosticsNotCrashes(string name, string declaration)
    {
        var run = GeneratorHarness.Run(TestSources.WithState(declaration)); // asserts no generator exception
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == DiagnosticDescriptors.InternalErrorId);
        Assert.DoesNotContain(run.Output.GetDiagnostics(), d => d.Id is "CS8785" or "CS8784");
        // Something tells the user what is wrong: a PRL diagnostic or a compiler error, unless the input is valid.
        bool reported = run.GeneratorDiagnostics.Any() || run.Input.GetDiagnostics()
            .Any(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        bool valid = name is "huge expression" or "odd GatesFrom" or "empty constructor parentheses";
        Assert.True(reported || valid, $"{name}: nothing was reported");
        // Generated code, if any, never adds errors.
        Assert.DoesNotContain(run.CompilationErrors, e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true);
    }
}
