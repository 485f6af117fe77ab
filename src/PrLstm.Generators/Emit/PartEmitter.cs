using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Emits the nested <c>Layer</c> module of an encoder, composition block or refinement: one fused projection
    /// to all gates (declared order, split after the matrix product), then the body as elementwise tensor code.
    /// </summary>
    internal static class PartEmitter
    {
        public static string Emit(PartSpec spec)
        {
            string stateTensors = spec.State.Type.FullyQualifiedName + ".Tensors";
            string time = spec.Kind == PartKind.Encoder ? "T" : "N";
            var sizes = PartChecks.LayerSizes(spec);
            var gateSizes = spec.Gates.Select(g => g.Size).ToList();
            string gatesText = "[" + string.Join(" | ", spec.Gates.Select(g => g.Name)) + "]";
            string source = PartChecks.GateSourceText(spec);
            string sourceSize = spec.Kind == PartKind.Encoder ? "inputSize" : Sizes.ToCSharp(PartChecks.GateSourceSizes(spec));
            bool hasGates = spec.Gates.Count > 0;
            bool learned = hasGates && spec.Projection == ProjectionKind.Linear;

            // Names the generated body uses for itself, made distinct from the user's names.
            var taken = new HashSet<string>(spec.StateParameters.Concat(spec.Gates.Select(g => g.Name)).Concat(spec.Locals.Select(l => l.Name)).Concat(sizes)
                .Concat(spec.Locals.Select(l => l.Value).Concat(spec.Result.Select(r => r.Value)).SelectMany(PartChecks.Walk).OfType<Projection>().Select(p => p.Name)));
            string Unique(string name) { while (taken.Contains(name)) name += "_"; taken.Add(name); return name; }
            string scope = Unique("scope"), projected = Unique("projected"), chunks = Unique("chunks"), input = Unique("x"), sigmoids = Unique("sigmoids");
            var localSizes = PartChecks.LocalSizes(spec);
            var gateSigmoids = SigmoidOnlyGates(spec).ToDictionary(g => g, g => sigmoids + "[" + spec.Gates.Select(x => x.Name).ToList().IndexOf(g) + "]");
            var context = new EmitContext(localSizes.Where(l => l.Value is null).Select(l => l.Key).ToList(), gateSigmoids, new Dictionary<string, string>());
            var activationPlan = ActivationPlan(spec);

            string baseType = spec.Kind switch
            {
                PartKind.Encoder => "torch.nn.Module<torch.Tensor, " + stateTensors + ">",
                PartKind.Block => "torch.nn.Module<" + stateTensors + ", " + stateTensors + ", " + stateTensors + ">",
                _ => "torch.nn.Module<" + stateTensors + ", " + stateTensors + ">",
            };

            var w = FileHeader.Begin(spec.Type, "TorchSharp layer of the PrLstm " + KindText(spec.Kind) + " " + spec.Type.Name + "." + spec.MethodName + ".");
            w.Open(FileHeader.PartialDeclaration(spec.Type));
            w.Line("/// <summary>");
            w.Line("/// TorchSharp layer generated from <see cref=\"" + spec.MethodName + "\"/>" + (hasGates
                ? ": gates " + gatesText + " (sizes " + string.Join(", ", gateSizes) + ") from " + (learned ? "one linear projection of " : "the split of ") + source + "."
                : " (no gates, no parameters)."));
            w.Line("/// </summary>");
            w.Line(FileHeader.GeneratedCodeAttribute);
            w.Open("public sealed class Layer : " + baseType);
            if (learned)
            {
                w.Line("/// <summary>Fused gate projection " + source + " → " + gatesText + "; weight <c>[" + Sizes.Format(gateSizes) + ", " + (spec.Kind == PartKind.Encoder ? "E" : Sizes.Format(PartChecks.GateSourceSizes(spec))) + "]</c>, rows in gate order.</summary>");
                w.Line("private readonly global::TorchSharp.Modules.Linear gates;");
            }
            if (hasGates)
                w.Line("private readonly long[] gateSizes;");
            var projections = PartChecks.Projections(spec);
            foreach (var (projection, size) in projections)
            {
                if (projection.Kind == "LayerNorm")
                    w.Line("/// <summary>LayerNorm(\"" + projection.Name + "\"): scale and offset <c>[" + size + "]</c>.</summary>");
                else
                    w.Line("/// <summary>Linear(\"" + projection.Name + "\"): weight <c>[" + size + ", " + size + "]</c>" + (projection.Bias ? " and bias" : ", no bias") + ".</summary>");
                w.Line("private readonly global::TorchSharp.Modules." + projection.Kind + " " + projection.Name + ";");
            }
            w.Line();

            // Constructor.
            var ctorParameters = (spec.Kind == PartKind.Encoder ? new[] { "long inputSize" } : new string[0])
                .Concat(sizes.Select(s => "long " + s))
                .Concat(new[] { "torch.Device? device = null", "torch.ScalarType? dtype = null" });
            w.Line("/// <summary>Creates the layer" + (learned ? " (its weights are initialised by the model)" : "") + ".</summary>");
            w.Line("public Layer(" + string.Join(", ", ctorParameters) + ")");
            w.Open("    : base(\"" + spec.Type.Name + "\")");
            if (hasGates)
                w.Line("gateSizes = new long[] { " + string.Join(", ", gateSizes) + " };");
            if (learned)
                w.Line("gates = torch.nn.Linear(" + sourceSize + ", " + Sizes.ToCSharp(gateSizes) + ", hasBias: true, device: device, dtype: dtype);");
            else if (hasGates && spec.Kind == PartKind.Encoder)
            {
                w.Open("if (inputSize != " + Sizes.ToCSharp(gateSizes) + ")");
                w.Line("throw new global::System.ArgumentException($\"" + spec.Type.Name + " splits the token into its gates, so the input size must be " + Sizes.Format(gateSizes) + " = {" + Sizes.ToCSharp(gateSizes) + "}, not {inputSize}.\", nameof(inputSize));");
                w.Close();
            }
            foreach (var (projection, size) in projections)
                w.Line(projection.Name + (projection.Kind == "LayerNorm"
                    ? " = torch.nn.LayerNorm(new long[] { " + size + " }, device: device, dtype: dtype);"
                    : " = torch.nn.Linear(" + size + ", " + size + ", hasBias: " + (projection.Bias ? "true" : "false") + ", device: device, dtype: dtype);"));
            w.Line("RegisterComponents();");
            w.Close();
            w.Line();

            // Forward.
            string parameters = spec.Kind == PartKind.Encoder
                ? "torch.Tensor " + input
                : string.Join(", ", spec.StateParameters.Select(p => stateTensors + " " + p));
            string shapes = spec.Kind == PartKind.Encoder
                ? input + " <c>[B, T, E]</c>"
                : string.Join(", ", spec.StateParameters.Select(p => p)) + " with fields <c>[B, N, size]</c>";
            w.Line("/// <summary>" + (spec.Kind switch
            {
                PartKind.Encoder => "Encodes every token independently",
                PartKind.Block => "Merges N pairs of segments at once (left = earlier, right = later)",
                _ => "Refines N states at once",
            }) + ": " + shapes + " → fields <c>[B, " + time + ", size]</c>.</summary>");
            string arguments = spec.Kind == PartKind.Encoder ? input : string.Join(", ", spec.StateParameters);
            w.Line("public override " + stateTensors + " forward(" + parameters + ") =>");
            w.Line("    torch.is_grad_enabled() ? ForwardDifferentiable(" + arguments + ") : ForwardInPlace(" + arguments + ");");
            w.Line();
            w.Line("/// <summary>The forward pass as autograd records it: every operation makes a new tensor.</summary>");
            EmitBody("private " + stateTensors + " ForwardDifferentiable(" + parameters + ")", inPlace: false);
            w.Line();
            w.Line("/// <summary>The forward pass without a gradient: operations write into the temporaries they own (the same values).</summary>");
            EmitBody("private " + stateTensors + " ForwardInPlace(" + parameters + ")", inPlace: true);

            void EmitBody(string signature, bool inPlace)
            {
                w.Open(signature);
                w.Line("using var " + scope + " = torch.NewDisposeScope();");
                var bodyContext = context;
                if (hasGates)
                {
                    string sourceExpr = spec.Kind == PartKind.Encoder
                        ? input
                        : PartChecks.GateSourceSizes(spec).Count == 1
                            ? spec.StateParameters[0] + "." + spec.GatesFrom[0]
                            : "torch.cat(new[] { " + string.Join(", ", spec.StateParameters.SelectMany(p => spec.GatesFrom.Select(f => p + "." + f))) + " }, -1)";
                    string shape = "// [B, " + time + ", " + Sizes.Format(gateSizes) + "]";
                    w.Line("var " + projected + " = " + (learned ? "gates.forward(" + sourceExpr + ")" : sourceExpr) + "; " + shape);
                    w.Line("var " + chunks + " = " + projected + ".split(gateSizes, -1);");
                    for (int g = 0; g < spec.Gates.Count; g++)
                        w.Line("var " + spec.Gates[g].Name + " = " + chunks + "[" + g + "]; // [B, " + time + ", " + spec.Gates[g].Size + "]");
                    if (inPlace && learned && activationPlan is { } plan)
                    {
                        // The projection is this method's own tensor: each gate chunk becomes its activation in place.
                        w.Line("global::PrLstm.Runtime.Modules.Elementwise.ActivateGatesInPlace(" + projected + ", new torch.Tensor[] { " + string.Join(", ", plan.Sigmoid) + " }, new torch.Tensor[] { " + string.Join(", ", plan.Tanh) + " });");
                        bodyContext = new EmitContext(context.ScalarLocals, plan.Sigmoid.ToDictionary(g => g, g => g), plan.Tanh.ToDictionary(g => g, g => g));
                    }
                    else if (gateSigmoids.Count > 0)
                    {
                        w.Line("// One sigmoid over all gates instead of one per gate (" + string.Join(", ", gateSigmoids.Keys) + "): fewer calls, one pass.");
                        w.Line("var " + sigmoids + " = torch.sigmoid(" + projected + ").split(gateSizes, -1);");
                    }
                }
                string Expression(Expr value) => inPlace ? ExpressionEmitter.EmitInPlace(value, bodyContext) : ExpressionEmitter.Emit(value, bodyContext);

                var localValues = new Dictionary<string, Expr>();
                foreach (LocalSpec local in spec.Locals)
                {
                    localValues[local.Name] = local.Value;
                    string? size = localSizes.TryGetValue(local.Name, out var s) ? s : null;
                    w.Line("var " + local.Name + " = " + Expression(local.Value) + ";" + (size is null ? "" : " // [B, " + time + ", " + size + "]"));
                }

                // Returned fields must be fresh tensors that are not shared between fields.
                var returnedNames = new HashSet<string>();
                var fieldValues = new List<string>();
                foreach (FieldSpec field in spec.State.Fields)
                {
                    Expr value = spec.Result.First(r => r.Field == field.Name).Value;
                    string text = Expression(value);
                    string? bare = ExpressionEmitter.BareName(value);
                    bool alias = ExpressionEmitter.IsInputView(value, localValues) || (bare is not null && !returnedNames.Add(bare));
                    fieldValues.Add(field.Name + ": " + (alias ? "(" + text + ").alias()" : text));
                }
                w.Line("return new " + stateTensors + "(");
                for (int a = 0; a < fieldValues.Count; a++)
                    w.Line("    " + fieldValues[a] + (a < fieldValues.Count - 1 ? "," : ").MoveToOuterDisposeScope();"));
                w.Close();
            }
            w.Close();
            w.Close();
            return FileHeader.End(spec.Type, w);
        }

        /// <summary>
        /// Gates that the body uses only as Sigmoid(gate), when there are at least two of them and they are at least
        /// half of all gates: the layer then computes the sigmoid of the whole projection in one call (computing it
        /// for the other gates too costs less than the extra calls).
        /// </summary>
        private static List<string> SigmoidOnlyGates(PartSpec spec)
        {
            var activations = GateActivations(spec);
            var gates = spec.Gates.Select(g => g.Name).Where(name => activations[name] == "Sigmoid").ToList();
            return gates.Count >= 2 && 2 * gates.Count >= spec.Gates.Count ? gates : new List<string>();
        }

        /// <summary>
        /// When every gate is used only as Sigmoid(gate) or only as Tanh(gate): which are which. The path without a
        /// gradient then activates the whole projection in place.
        /// </summary>
        private static (List<string> Sigmoid, List<string> Tanh)? ActivationPlan(PartSpec spec)
        {
            var activations = GateActivations(spec);
            if (spec.Gates.Count == 0 || activations.Values.Any(a => a is null)) return null;
            return (spec.Gates.Select(g => g.Name).Where(name => activations[name] == "Sigmoid").ToList(),
                    spec.Gates.Select(g => g.Name).Where(name => activations[name] == "Tanh").ToList());
        }

        /// <summary>
        /// For each gate, "Sigmoid" or "Tanh" when every use of it is that function applied to the gate alone and none
        /// of those calls is the whole value of a local or a field (a field must not be a view of a shared tensor);
        /// otherwise null.
        /// </summary>
        private static Dictionary<string, string?> GateActivations(PartSpec spec)
        {
            var values = spec.Locals.Select(l => l.Value).Concat(spec.Result.Select(r => r.Value)).ToList();
            var nodes = values.SelectMany(PartChecks.Walk).ToList();
            var wholeValues = new HashSet<int>(values.Select(v => v.Id));
            var activations = nodes.OfType<Call>().Where(c => c.Function is "Sigmoid" or "Tanh" && c.Arguments[0] is GateRef).ToList();
            var result = new Dictionary<string, string?>();
            foreach (GateSpec gate in spec.Gates)
            {
                int uses = nodes.OfType<GateRef>().Count(r => r.Gate == gate.Name);
                var calls = activations.Where(c => ((GateRef)c.Arguments[0]).Gate == gate.Name).ToList();
                bool single = uses > 0 && calls.Count == uses && !calls.Any(c => wholeValues.Contains(c.Id)) && calls.Select(c => c.Function).Distinct().Count() == 1;
                result[gate.Name] = single ? calls[0].Function : null;
            }
            return result;
        }

        private static string KindText(PartKind kind) => kind switch
        {
            PartKind.Encoder => "token encoder",
            PartKind.Block => "composition block",
            _ => "refinement block",
        };
    }
}
