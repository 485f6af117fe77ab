using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PrLstm.Generators;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// Random well-formed composition blocks (expression DAGs over the whole DSL: + − ×, ÷ by a number, unary minus, numbers,
/// Sigmoid, Tanh, Relu, Identity, Max, Min, Linear, LayerNorm; two sizes, several gates and fields, locals read more
/// than once, ties such as Max(x, x) and Relu(x − x); sizes 3 to 9, 1 to 4 pairs), compiled in-process through the
/// generator, loaded and run: the fused kernels against the op-by-op bodies, values and gradients of every input and
/// parameter.
/// </summary>
public class RandomBodyTests
{
    private const int Bodies = 300;
    private static readonly Lazy<Assembly> Compiled = new(() => CompileBodies(Bodies));

    public static IEnumerable<object[]> Cases() => Enumerable.Range(0, Bodies / 25)
        .SelectMany(g => new[] { ScalarType.Float64, ScalarType.Float32 }.Select(d => new object[] { g * 25, d }));

    /// <summary>Bodies <paramref name="first"/> .. first + 24 (25 per case, so a failure names a small group).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void RandomBodiesFusedMatchOpByOp(int first, ScalarType dtype)
    {
        Assembly assembly = Compiled.Value;
        Type tensors = assembly.GetType("Random.S+Tensors")!;
        for (int n = first; n < first + 25; n++)
        {
            Type layerType = assembly.GetType($"Random.B{n}+Layer")!;
            // Sizes from 3: LayerNorm over one or two features gives ±1 or 0, and its gradient is float32 rounding
            // divided by the features' spread, which tells nothing about the kernels.
            long h = 3 + n % 7, k = 3 + n % 3;
            using var layer = (nn.Module)FusedComparison.Create(layerType, new Dictionary<string, object?>
            {
                ["H"] = h,
                ["K"] = k,
                ["device"] = null,
                ["dtype"] = (ScalarType?)dtype,
            });
            // Weights and inputs from a generator of this body's own (the global one is shared with tests running in parallel).
            using var generator = new Generator((ulong)n);
            using (no_grad())
                foreach (var parameter in layer.parameters())
                    parameter.copy_(randn(parameter.shape, dtype: dtype, generator: generator) * 0.5);
            using var scope = NewDisposeScope();
            Tensor Field(long size) => randn(new[] { 2, 1 + n % 4, size }, dtype: dtype, generator: generator).requires_grad_();
            var inputs = new[] { Field(h), Field(h), Field(k), Field(h), Field(h), Field(k) };
            object left = Activator.CreateInstance(tensors, inputs[0], inputs[1], inputs[2])!;
            object right = Activator.CreateInstance(tensors, inputs[3], inputs[4], inputs[5])!;
            MethodInfo forward = layerType.GetMethod("forward")!;
            IReadOnlyList<Tensor> Run()
            {
                object state = forward.Invoke(layer, new[] { left, right })!;
                return new[] { "h", "c", "k" }.Select(f => (Tensor)tensors.GetProperty(f)!.GetValue(state)!).ToList();
            }
            FusedComparison.AssertFusedMatchesOpByOp(layer, inputs, Run, dtype, $"random body {n}: {Source(n)}", generator);
        }
    }

    private static string Source(int n) => new BodyWriter(new Random(n)).Block(n);

    private static Assembly CompileBodies(int count)
    {
        var source = new StringBuilder("""
            using PrLstm.Dsl;
            using static PrLstm.Dsl.Ops;

            namespace Random
            {
                [State]
                public partial struct S
                {
                    [Size("H"), Output] public Vec h;
                    [Size("H")] public Vec c;
                    [Size("K")] public Vec k;
                }

            """);
        for (int n = 0; n < count; n++) source.AppendLine(Source(n));
        source.AppendLine("}");

        var references = Net100.References.All.Concat(new[] { typeof(PrLstm.Dsl.Vec), typeof(torch), typeof(Runtime.Modules.KernelPath) }
            .Select(t => (MetadataReference)MetadataReference.CreateFromFile(t.Assembly.Location)));
        var compilation = CSharpCompilation.Create("RandomBodies" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(source.ToString(), new CSharpParseOptions(LanguageVersion.Latest)) }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release));
        CSharpGeneratorDriver.Create(new PrLstmGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var output,
            out var generatorDiagnostics);
        var problems = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(problems.Count == 0, "the random bodies do not compile:\n" + string.Join("\n", problems.Take(20)));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Take(20)));
        image.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(image);
    }

    /// <summary>Writes one random block: gates of sizes H and K, a few locals, then h, c (size H) and k (size K).</summary>
    private sealed class BodyWriter
    {
        private readonly Random _random;
        private readonly List<(string Name, string Size)> _gates = new();
        private readonly List<(string Name, string Size)> _locals = new();
        private int _learned;

        public BodyWriter(Random random) => _random = random;

        public string Block(int n)
        {
            int gateCount = _random.Next(1, 5);
            for (int g = 0; g < gateCount; g++) _gates.Add(($"g{g}", _random.Next(3) == 0 ? "K" : "H"));
            var body = new StringBuilder();
            int localCount = _random.Next(0, 4);
            for (int l = 0; l < localCount; l++)
            {
                string size = _random.Next(3) == 0 ? "K" : "H";
                body.Append($"var v{l} = {Expr(size, 3)}; ");
                _locals.Add(($"v{l}", size));
            }
            var fields = new Dictionary<string, string> { ["h"] = Expr("H", 4), ["c"] = Expr("H", 4), ["k"] = Expr("K", 3) };
            // Every gate and local is read somewhere: what is left over joins a field of its size.
            foreach (var (name, size) in _gates.Concat(_locals))
                if (!Reads(fields.Values.Append(body.ToString()), name))
                    fields[size == "K" ? "k" : "c"] += $" + Tanh({name})";
            string parameters = string.Join(", ", _gates.Select(g => $"[Size(\"{g.Size}\")] Vec {g.Name}"));
            string gatesFrom = _random.Next(2) == 0 ? "h" : "h, k";
            return $$"""
                    [CompositionBlock(GatesFrom = "{{gatesFrom}}")]
                    public static partial class B{{n}}
                    {
                        public static S Compose(S left, S right, {{parameters}})
                        {
                            {{body}}return new S { h = {{fields["h"]}}, c = {{fields["c"]}}, k = {{fields["k"]}} };
                        }
                    }
                """;
        }

        private static bool Reads(IEnumerable<string> texts, string name) =>
            texts.Any(t => System.Text.RegularExpressions.Regex.IsMatch(t, $@"\b{name}\b"));

        private string Leaf(string size)
        {
            var choices = _gates.Where(g => g.Size == size).Select(g => g.Name)
                .Concat(_locals.Where(l => l.Size == size).Select(l => l.Name))
                .Concat(size == "H" ? new[] { "left.h", "left.c", "right.h", "right.c" } : new[] { "left.k", "right.k" }).ToList();
            return choices[_random.Next(choices.Count)];
        }

        private string Number() => new[] { "0.5", "2", "1", "-1.5", "3.25", "0.1" }[_random.Next(6)];

        private string Expr(string size, int depth)
        {
            if (depth == 0 || _random.Next(4) == 0) return Leaf(size);
            string Sub() => Expr(size, depth - 1);
            switch (_random.Next(19))
            {
                case 0: return $"{Sub()} + {Sub()}";
                case 1: return $"{Sub()} - ({Sub()})";
                case 2: return $"({Sub()}) * ({Sub()})";
                case 3: return $"({Sub()}) * (1.5 + Tanh({Sub()}))";
                case 4: return $"-({Sub()})";
                case 5: return $"Sigmoid({Sub()})";
                case 6: return $"Tanh({Sub()})";
                case 7: return $"Relu({Sub()})";
                case 8: return $"Identity({Sub()})";
                case 9: return $"Max({Sub()}, {Sub()})";
                case 10: return $"Min({Sub()}, {Sub()})";
                case 11:
                    {
                        string same = _random.Next(2) == 0 ? Leaf(size) : $"Tanh({Leaf(size)})"; // no learned op: its name is unique
                        return _random.Next(2) == 0 ? $"Max({same}, {same})" : $"Relu({same} - ({same}))"; // ties and zeros
                    }
                case 12: return $"({Sub()}) * {Number()}";
                case 13: return $"{Number()} - ({Sub()})";
                case 14: return $"({Sub()}) / {Number()}";
                case 15: return $"{Number()} * ({Sub()}) + {Number()}";
                case 16: return $"Linear(\"w{_learned++}\", {Sub()})";
                case 17: return $"Linear(\"w{_learned++}\", {Sub()}, bias: false)";
                default: return $"LayerNorm(\"n{_learned++}\", {Sub()})";
            }
        }
    }
}
