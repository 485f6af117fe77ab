using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Plan;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Prints the nested <c>Layer</c> module of an encoder, composition block or refinement from its two plans (with a
    /// gradient, and in place without one): one fused projection to all gates (declared order, split after the matrix
    /// product), then the body, each statement under the declaration's statement it implements.
    /// </summary>
    internal sealed class LayerPrinter
    {
        private readonly CheckedLayer _layer;
        private readonly LayerSpec _spec;
        private readonly SourceWriter _w;
        private readonly NameScope _scope;
        private readonly string _torch, _elementwise, _projection, _state;
        private readonly string? _gatesField, _gateSizesField;
        private readonly Dictionary<string, string> _learnedFields = new();
        private readonly Dictionary<double, string> _scalarFields = new();
        private readonly Dictionary<string, string> _activationNames = new();
        private NameScope _bodyScope;
        private readonly string _disposeScope, _projected, _chunks, _input, _differentiable, _inPlace;
        private readonly string _fusedForward, _fusedMath, _fusedKernel;
        private readonly FusedLayerPlan _fused;
        private readonly List<(string Class, string Field)> _regionNames = new();
        private readonly List<string> _sizes;
        private readonly bool _learnedProjection;

        private LayerPrinter(CheckedLayer layer)
        {
            _layer = layer;
            _spec = layer.Spec;
            _sizes = LayerChecks.LayerSizes(_spec).ToList();
            _learnedProjection = _spec.Gates.Count > 0 && _spec.Projection == ProjectionKind.Linear;

            // User names first: they keep their spelling; every name the generator adds is claimed after them.
            _scope = new NameScope(_spec.ScopeNames
                .Concat(_spec.Gates.Select(g => g.Name)).Concat(_spec.Locals.Select(l => l.Name)).Concat(_spec.StateParameters)
                    .Concat(_sizes)
                .Concat(new[] { ModelApi.InputSizeParameter, ModelApi.DeviceParameter, ModelApi.DtypeParameter, _spec.Type.Name,
                    Names.LayerClass }));
            _scope.Reserve(new[] { ModelApi.KernelPath }); // a public member of every layer
            _torch = _scope.Claim("torch");
            _elementwise = _scope.Claim("Elementwise");
            _projection = _scope.Claim("Projection");
            _fusedMath = _scope.Claim("FusedMath");
            _fusedKernel = _scope.Claim("FusedKernel");
            _state = _scope.Claim(_spec.State.Type.Name + Names.TensorsRecord);
            if (_spec.Gates.Count > 0)
            {
                _gatesField = _learnedProjection ? _scope.Claim(Names.GateWeights) : null;
                _gateSizesField = _scope.Claim("gateSizes");
            }
            foreach (var learned in LearnedOps())
                _learnedFields[learned.Name] = _scope.Claim(learned.Name);
            _disposeScope = _scope.Claim("scope");
            _projected = _scope.Claim("projected");
            _chunks = _scope.Claim("chunks");
            _input = _scope.Claim("x");
            _differentiable = _scope.Claim("ForwardDifferentiable");
            _inPlace = _scope.Claim("ForwardInPlace");
            _fusedForward = _scope.Claim("ForwardFused");
            _fused = Fusion.Plan(layer, new[] { _torch, _elementwise, _projection, _fusedMath, _fusedKernel, _state });
            foreach (FusedRegion region in _fused.Regions)
                _regionNames.Add((_scope.Claim("BodyKernel" + RegionSuffix(region)), _scope.Claim("bodyKernel" + RegionSuffix(region))));
            _bodyScope = _scope.Nested();
            _w = FileHeader.Begin(_spec.Type, $"TorchSharp layer of the PrLstm {_spec.Info.DisplayName} {_spec.Owner}.", new[]
            {
                (_torch, "global::TorchSharp.torch"),
                (_elementwise, "global::PrLstm.Runtime.CompilerServices.Elementwise"),
                (_projection, "global::PrLstm.Runtime.CompilerServices.Projection"),
                (_fusedMath, "global::PrLstm.Runtime.CompilerServices.FusedMath"),
                (_fusedKernel, "global::PrLstm.Runtime.CompilerServices.FusedKernel"),
                (_state, $"{_spec.State.Type.FullyQualifiedName}.{Names.TensorsRecord}"),
            });
        }

        public static string Print(CheckedLayer layer) => new LayerPrinter(layer).Print();

        private string Print()
        {
            var differentiable = Passes.Plan(_layer, inPlace: false);
            var inPlace = Passes.Plan(_layer, inPlace: true);
            foreach (var plan in new[] { differentiable, inPlace })
                foreach (var node in plan.Statements.SelectMany(s => Passes.Walk(s.Value)))
                    if (node.Op == Op.Constant && !_scalarFields.ContainsKey(node.Value))
                        _scalarFields[node.Value] = _scope.Claim(ScalarName(node.Value));

            _w.Open(FileHeader.PartialDeclaration(_spec.Type));
            string gatesText = "[" + string.Join(" | ", _spec.Gates.Select(g => g.Name)) + "]";
            string source = LayerChecks.GateSourceText(_spec);
            _w.Summary("TorchSharp layer generated from <see cref=\"" + _spec.Info.MethodName + "\"/>" + (_spec.Gates.Count > 0
                ? ": gates " + gatesText + " (sizes " + string.Join(", ", _spec.Gates.Select(g => g.Size)) + ") from "
                  + (_learnedProjection ? "one linear projection of " : "the split of ") + source + "."
                : " (no gates, no parameters)."));
            _w.Line(FileHeader.GeneratedCodeAttribute);
            DocWriter.Write(_w, $"public sealed class {Names.LayerClass} : ", BaseType(), "");
            _w.Line("{");
            _w.Indentation++;
            WriteFields();
            WriteConstructor();
            WriteForward();
            _w.Line();
            _w.Summary("The forward pass as autograd records it: every operation makes a new tensor.");
            WriteBody(_differentiable, differentiable);
            _w.Line();
            _w.Summary("The forward pass without a gradient: operations write into the temporaries they own (the same values).");
            WriteBody(_inPlace, inPlace);
            _w.Line();
            WriteFusedBody();
            foreach (FusedRegion region in _fused.Regions)
            {
                _w.Line();
                KernelPrinter.Write(_w, _fused, region, _regionNames[region.Index].Class, _spec.Owner, _fusedKernel, _fusedMath,
                    _gateSizesField);
            }
            _w.Close();
            _w.Close();
            return FileHeader.End(_spec.Type, _w);
        }

        private IEnumerable<LearnedOp> LearnedOps() =>
            LayerChecks.BodyExpressions(_spec).SelectMany(LayerChecks.Walk).OfType<LearnedOp>();

        private Doc BaseType()
        {
            var types = _spec.Kind switch
            {
                LayerKind.Encoder => new[] { $"{_torch}.Tensor", _state },
                LayerKind.Block => new[] { _state, _state, _state },
                LayerKind.Refinement => new[] { _state, _state },
            };
            return new CallDoc(null, $"{_torch}.nn.Module", types.Select(t => (Doc)new Text(t)).ToList(), "<", ">");
        }

        private Doc Signature(string head) => new CallDoc(null, head, _spec.Kind == LayerKind.Encoder
            ? new Doc[] { new Text($"{_torch}.Tensor {_input}") }
            : _spec.StateParameters.Select(p => (Doc)new Text($"{_state} {Names.Identifier(p)}")).ToList());

        private void WriteFields()
        {
            var gateSizes = _spec.Gates.Select(g => g.Size).ToList();
            if (_gatesField is not null)
            {
                string sourceSize = _spec.Kind == LayerKind.Encoder ? "E" : Sizes.Format(LayerChecks.GateSourceSizes(_spec));
                _w.Summary("Fused gate projection " + LayerChecks.GateSourceText(_spec) + " → ["
                    + string.Join(" | ", _spec.Gates.Select(g => g.Name))
                    + "]; weight <c>[" + Sizes.Format(gateSizes) + ", " + sourceSize + "]</c>, rows in gate order.");
                _w.Line($"private readonly global::TorchSharp.Modules.Linear {_gatesField};");
            }
            if (_gateSizesField is not null)
                _w.Line($"private readonly long[] {_gateSizesField};");
            foreach (var learned in LearnedOps())
            {
                string size = _layer.SizeOf(learned);
                string kind = DslFunctions.Of(learned.Op).Name;
                _w.Summary(learned.Op == Op.LayerNorm
                    ? $"{kind}(\"{learned.Name}\"): scale and offset <c>[{size}]</c>."
                    : kind + "(\"" + learned.Name + "\"): weight <c>[" + size + ", " + size + "]</c>"
                        + (learned.Bias ? " and bias" : ", no bias") + ".");
                _w.Line($"private readonly global::TorchSharp.Modules.{kind} {_learnedFields[learned.Name]};");
            }
            foreach (var scalar in _scalarFields)
                _w.Line($"private static readonly global::TorchSharp.Scalar {scalar.Value} = {Literal(scalar.Key)};");
            foreach (var (type, field) in _regionNames)
                _w.Line($"private readonly {type} {field};");
            _w.Line();
            _w.Summary("Whether the body runs as one libtorch call per operation (OpByOp), as fused CPU kernels (Fused), or as measured "
                + "faster (Automatic, the default: fused for training where the kernels run on libtorch's threads and in a small stream, "
                + "op-by-op otherwise).");
            _w.Line($"public global::PrLstm.Runtime.Modules.KernelPath {ModelApi.KernelPath} {{ get; set; }}");
            _w.Line();
        }

        private void WriteConstructor()
        {
            var gateSizes = _spec.Gates.Select(g => g.Size).ToList();
            var parameters = (_spec.Kind == LayerKind.Encoder ? new[] { $"long {ModelApi.InputSizeParameter}" } : new string[0])
                .Concat(_sizes.Select(s => $"long {s}"))
                .Concat(new[] { $"{_torch}.Device? {ModelApi.DeviceParameter} = null", $"{_torch}.ScalarType? "
                    + $"{ModelApi.DtypeParameter} = null" });
            string on = $"device: {ModelApi.DeviceParameter}, dtype: {ModelApi.DtypeParameter}";
            _w.Summary("Creates the layer" + (_gatesField is not null ? " (its weights are initialised by the model)" : "") + ".");
            DocWriter.Write(_w, $"public {Names.LayerClass}", new CallDoc(null, "", parameters.Select(p => (Doc)new Text(p)).ToList()), "");
            _w.Open($"    : base(\"{_spec.Type.Name}\")");
            if (_gateSizesField is not null)
                DocWriter.Write(_w, $"{_gateSizesField} = ", new ArrayDoc("new long[]", gateSizes.Select(g => (Doc)new Text(g)).ToList()),
                    ";");
            if (_gatesField is not null)
            {
                string sourceSize = _spec.Kind == LayerKind.Encoder ? ModelApi.InputSizeParameter
                    : Sizes.ToCSharp(LayerChecks.GateSourceSizes(_spec));
                _w.Line($"{_gatesField} = {_torch}.nn.Linear({sourceSize}, {Sizes.ToCSharp(gateSizes)}, hasBias: true, {on});");
                _w.Line($"register_module(\"{Names.GateWeights}\", {_gatesField});");
            }
            else if (_spec.Gates.Count > 0 && _spec.Kind == LayerKind.Encoder)
            {
                _w.Open($"if ({ModelApi.InputSizeParameter} != {Sizes.ToCSharp(gateSizes)})");
                _w.Line("throw new global::System.ArgumentException(");
                _w.Line($"    $\"{_spec.Type.Name} splits the token into its gates, so the input size must be {Sizes.Format(gateSizes)}"
                    + " = {" + Sizes.ToCSharp(gateSizes) + "}, not {" + ModelApi.InputSizeParameter + "}.\",");
                _w.Line($"    nameof({ModelApi.InputSizeParameter}));");
                _w.Close();
            }
            foreach (var learned in LearnedOps())
            {
                string size = _layer.SizeOf(learned);
                string field = _learnedFields[learned.Name];
                _w.Line(field + (learned.Op == Op.LayerNorm
                    ? $" = {_torch}.nn.LayerNorm(new long[] {{ {size} }}, {on});"
                    : " = " + _torch + ".nn.Linear(" + size + ", " + size + ", hasBias: " + (learned.Bias ? "true" : "false") + ", " + on
                        + ");"));
                _w.Line($"register_module(\"{learned.Name}\", {field});");
            }
            foreach (FusedRegion region in _fused.Regions)
            {
                var arguments = KernelPrinter.ConstructorParameters(region, _gateSizesField).Select(p => p.Name);
                _w.Line($"{_regionNames[region.Index].Field} = new {_regionNames[region.Index].Class}({string.Join(", ", arguments)});");
            }
            _w.Close();
            _w.Line();
        }

        private string Arguments() => _spec.Kind == LayerKind.Encoder ? _input
            : string.Join(", ", _spec.StateParameters.Select(Names.Identifier));

        private void WriteForward()
        {
            string time = _spec.Info.TimeAxis;
            string shapes = _spec.Kind == LayerKind.Encoder
                ? $"{_input} <c>[B, T, E]</c>"
                : string.Join(", ", _spec.StateParameters) + " with fields <c>[B, " + time + ", size]</c>";
            _w.Summary($"{_spec.Info.ForwardSummary}: {shapes} → fields <c>[B, {time}, size]</c>.");
            DocWriter.Write(_w, "", Signature($"public override {_state} forward"), " =>");
            _w.Indentation++;
            string probe = _spec.Kind == LayerKind.Encoder ? _input
                : Names.Identifier(_spec.StateParameters[0]) + "." + Names.Identifier(_spec.State.Fields[0].Name);
            _w.Line($"{_fusedKernel}.Chooses(this.{ModelApi.KernelPath}, {probe}, \"{_spec.Owner}\")");
            _w.Line($"    ? {_fusedForward}({Arguments()})");
            _w.Line($"    : {_torch}.is_grad_enabled()");
            _w.Line($"        ? {_differentiable}({Arguments()})");
            _w.Line($"        : {_inPlace}({Arguments()});");
            _w.Indentation--;
        }

        /// <summary>
        /// The fused path: the projection as before, then each stage of the fused plan (a region's kernel, or a learned
        /// operation's module), then the fields from the regions' outputs.
        /// </summary>
        private void WriteFusedBody()
        {
            _w.Summary("The forward pass on fused CPU kernels: each elementwise region of the body is one kernel forward and one "
                + "backward (one autograd node that saves only the region's inputs).");
            DocWriter.Write(_w, "", Signature($"private {_state} {_fusedForward}"), "");
            _w.Line("{");
            _w.Indentation++;
            _w.Line($"using var {_disposeScope} = {_torch}.NewDisposeScope();");
            _bodyScope = _scope.Nested();
            if (_spec.Gates.Count > 0)
                WriteProjection();
            var tensors = new Dictionary<int, string>();
            string Tensor(int value)
            {
                if (tensors.TryGetValue(value, out var known)) return known;
                BodyValue v = _fused.Values[value];
                return v.Op switch
                {
                    Op.Field => $"{Names.Identifier(v.Name)}.{Names.Identifier(v.Field)}",
                    Op.Gate => $"{_projected}.narrow(-1, {_fusedKernel}.Column({_gateSizesField}, {GateIndex(v.Name)}), "
                        + $"{_gateSizesField}[{GateIndex(v.Name)}])",
                    _ => throw new System.InvalidOperationException($"No tensor holds value {value} yet"),
                };
            }
            foreach (FusedStage stage in _fused.Stages)
            {
                if (stage.Region is { } region)
                {
                    var (_, field) = _regionNames[region.Index];
                    string result = _bodyScope.Claim("fused" + RegionSuffix(region));
                    var arguments = region.Arguments.Select(a => (Doc)new Text(a.IsProjection ? _projected : Tensor(a.Value))).ToList();
                    DocWriter.Write(_w, $"var {result} = ", new CallDoc(new Text(field), "Apply", arguments), ";");
                    for (int o = 0; o < region.Outputs.Count; o++)
                        tensors[region.Outputs[o]] = $"{result}[{o}]";
                }
                else
                {
                    BodyValue learned = stage.Learned!;
                    string result = _bodyScope.Claim(learned.Name + "Output");
                    DocWriter.Write(_w, $"var {result} = ", LearnedCall(learned.Op, learned.Name, new Text(Tensor(learned.Inputs[0]))),
                        ";");
                    tensors[learned.Id] = result;
                }
            }
            _w.Line($"return new {_state}(");
            _w.Indentation++;
            for (int f = 0; f < _fused.Fields.Count; f++)
            {
                FusedField field = _fused.Fields[f];
                _w.Comment(field.Source);
                string value = Tensor(field.Value) + (field.Alias ? ".alias()" : "");
                _w.Line($"{Names.Identifier(field.Field)}: {value}" + (f < _fused.Fields.Count - 1 ? "," : ").MoveToOuterDisposeScope();"));
            }
            _w.Indentation--;
            _w.Close();
        }

        /// <summary>What tells a region's names apart: nothing when the layer has one region, else its index.</summary>
        private string RegionSuffix(FusedRegion region) =>
            _fused.Regions.Count() == 1 ? "" : region.Index.ToString(CultureInfo.InvariantCulture);

        private int GateIndex(string gate) => _spec.Gates.Select(g => g.Name).ToList().IndexOf(gate);

        private void WriteBody(string name, LayerPlan plan)
        {
            DocWriter.Write(_w, "", Signature($"private {_state} {name}"), "");
            _w.Line("{");
            _w.Indentation++;
            _w.Line($"using var {_disposeScope} = {_torch}.NewDisposeScope();");
            _activationNames.Clear();
            _bodyScope = _scope.Nested();
            if (_spec.Gates.Count > 0)
                WriteGates(plan);
            foreach (Statement local in plan.Statements.Where(s => s.Kind == StatementKind.Local))
            {
                _w.Comment($"{local.Source}  → [B, {_spec.Info.TimeAxis}, {local.Value.Size}]");
                DocWriter.Write(_w, $"var {Names.Identifier(local.Target)} = ", Hoist(ToDoc(local.Value)), ";");
            }
            foreach (LocalSpec folded in _spec.Locals.Where(l => plan.Statements.All(s => s.Target != l.Name
                || s.Kind != StatementKind.Local)))
                _w.Comment($"{folded.Source}  (a number: folded into its uses)");
            WriteReturn(plan);
            _w.Close();
        }

        private void WriteGates(LayerPlan plan)
        {
            WriteProjection();
            _w.Line($"var {_chunks} = {_projected}.split({_gateSizesField}, -1);");
            WriteGateReads(plan);
        }

        /// <summary>The gate projection, all gates in one tensor: <c>var projected = gates.forward(...)</c>.</summary>
        private void WriteProjection()
        {
            string time = _spec.Info.TimeAxis;
            var gateSizes = _spec.Gates.Select(g => g.Size).ToList();
            Doc source = _spec.Kind == LayerKind.Encoder
                ? new Text(_input)
                : LayerChecks.GateSourceSizes(_spec).Count == 1
                    ? new Text(Names.Identifier(_spec.StateParameters[0]) + "." + Names.Identifier(_spec.GatesFrom[0]))
                    : new CallDoc(null, $"{_torch}.cat", new Doc[]
                    {
                        new ArrayDoc("new[]",
                            _spec.StateParameters
                                .SelectMany(p => _spec.GatesFrom.Select(f => (Doc)new Text($"{Names.Identifier(p)}.{Names.Identifier(f)}")))
                                .ToList()),
                        new Text("-1"),
                    });
            _w.Comment("[" + string.Join(" | ", _spec.Gates.Select(g => g.Name)) + "] = "
                + (_gatesField is not null ? $"gates({LayerChecks.GateSourceText(_spec)})" : LayerChecks.GateSourceText(_spec))
                + "  → [B, " + time + ", " + Sizes.Format(gateSizes) + "]");
            DocWriter.Write(_w, $"var {_projected} = ", _gatesField is not null
                ? new CallDoc(null, $"{_projection}.Forward", new[] { new Text(_gatesField), source }) : source, ";");
        }

        /// <summary>
        /// A learned operation of a body on its input: a <c>Linear</c> through <c>Projection.Forward</c> (its bias inside the
        /// product at any rank), a <c>LayerNorm</c> as its module's forward.
        /// </summary>
        private Doc LearnedCall(Op op, string name, Doc input) => op == Op.Linear
            ? new CallDoc(null, $"{_projection}.Forward", new[] { new Text(_learnedFields[name]), input })
            : new CallDoc(new Text(_learnedFields[name]), "forward", new[] { input });

        private void WriteGateReads(LayerPlan plan)
        {
            foreach (GatePlan gate in plan.Gates)
            {
                if (gate.ReadRaw)
                    _w.Line($"var {Names.Identifier(gate.Name)} = {_chunks}[{gate.Index}];");
                if (gate.Activation is { } activation)
                    _activationNames[gate.Name] = _bodyScope.Claim(ActivationName(activation, gate.Name));
            }
            if (plan.ActivateAllInPlace)
            {
                foreach (GatePlan gate in plan.Gates)
                    _w.Line($"var {_activationNames[gate.Name]} = {_chunks}[{gate.Index}];");
                _w.Comment("Each gate becomes its activation in place: one pass over the projection on the CPU.");
                Doc Gates(Op op)
                    => new ArrayDoc($"new {_torch}.Tensor[]", plan.Gates.Where(g => g.Activation == op)
                        .Select(g => (Doc)new Text(_activationNames[g.Name])).ToList());
                DocWriter.Write(_w, "",
                    new CallDoc(null, $"{_elementwise}.ActivateGatesInPlace",
                        new[] { new Text(_projected), Gates(Op.Sigmoid), Gates(Op.Tanh) }), ";");
                return;
            }
            foreach (ActivationRun run in plan.Runs)
            {
                var gates = run.Gates.Select(g => plan.Gates[g]).ToList();
                string function = DslFunctions.Of(run.Activation).Name;
                _w.Comment(string.Join(", ", gates.Select(g => $"{function}({g.Name})")) + ": one call over their part of the projection.");
                string array = _bodyScope.Claim(function.ToLowerInvariant() + "s" + Pascal(gates[0].Name) + "To"
                    + Pascal(gates[gates.Count - 1].Name));
                _w.Line($"var {array} = {_elementwise}.{function}OfGates({_projected}, {_gateSizesField}, first: {gates[0].Index}, "
                    + $"count: {gates.Count});");
                for (int k = 0; k < gates.Count; k++)
                    _w.Line("var " + _activationNames[gates[k].Name] + " = " + array + "[" + k + "];");
            }
        }

        private void WriteReturn(LayerPlan plan)
        {
            var fields = plan.Statements.Where(s => s.Kind == StatementKind.Field).ToList();
            // Deep parts of the values are written before the return (they cannot be statements inside it).
            var values = fields.Select(f => Hoist(ToDoc(f.Value))).ToList();
            _w.Line($"return new {_state}(");
            _w.Indentation++;
            for (int f = 0; f < fields.Count; f++)
            {
                Statement field = fields[f];
                _w.Comment(field.Source);
                Doc value = values[f];
                if (field.Alias) value = new CallDoc(value, "alias", new Doc[0]);
                DocWriter.Write(_w, $"{Names.Identifier(field.Target)}: ", value, f < fields.Count - 1 ? ","
                    : ").MoveToOuterDisposeScope();");
            }
            _w.Indentation--;
        }

        /// <summary>
        /// Deep expressions (a sum of sixty terms) would indent past the line length when broken: their inner parts are
        /// written first as locals of their own (part, part2, ...). The same tensors flow, so nothing computes differently.
        /// </summary>
        private Doc Hoist(Doc doc, int depth = 0)
        {
            const int MaxDepth = 6;
            switch (doc)
            {
                case CallDoc call:
                    {
                        var arguments = call.Arguments.Select(a => Hoist(a, depth + 1)).ToList();
                        var receiver = call.Receiver is null ? null : Hoist(call.Receiver, depth + 1);
                        var hoisted = call with { Receiver = receiver, Arguments = arguments };
                        return depth >= MaxDepth ? Local(hoisted) : hoisted;
                    }
                case InfixDoc infix:
                    {
                        var hoisted = new InfixDoc(Hoist(infix.Left, depth + 1), infix.Operator, Hoist(infix.Right, depth + 1));
                        return depth >= MaxDepth ? Local(hoisted) : hoisted;
                    }
                case NegateDoc negate:
                    return new NegateDoc(Hoist(negate.Value, depth + 1));
                case ParenDoc paren:
                    return new ParenDoc(Hoist(paren.Inner, depth));
                default:
                    return doc;
            }

            Doc Local(Doc value)
            {
                string name = _bodyScope.Claim("part");
                DocWriter.Write(_w, $"var {name} = ", value, ";");
                return new Text(name);
            }
        }

        /// <summary>The C# of one plan node. Sums and differences go through Elementwise (TorchSharp's + and - make a
        /// temporary Scalar that a finalizer may free during the call); numbers are static Scalar fields.</summary>
        private Doc ToDoc(Node node)
        {
            Doc Input(int i) => ToDoc(node.Inputs[i]);
            Doc Call(string name, int count) => new CallDoc(null, name, Enumerable.Range(0, count).Select(Input).ToList());
            Doc Method(string name) => new CallDoc(Input(0), name, Enumerable.Range(1, node.Inputs.Count - 1).Select(Input).ToList());
            string E(string name) => $"{_elementwise}.{name}";
            switch (node.Op)
            {
                case Op.Constant:
                    return new Text(_scalarFields[node.Value]);
                case Op.Gate:
                    return new Text(Names.Identifier(node.Name));
                case Op.Field:
                    return new Text($"{Names.Identifier(node.Name)}.{Names.Identifier(node.Field)}");
                case Op.Local:
                    return new Text(Names.Identifier(node.Name));
                case Op.GateActivation:
                    return new Text(_activationNames[node.Name]);
                case Op.Negate:
                    return node.InPlace ? Method("neg_") : new NegateDoc(Input(0));
                case Op.Add:
                    return Call(E(node.InPlace ? "AddInPlace" : "Add"), 2);
                case Op.Subtract:
                    return Call(E(node.InPlace ? "SubtractInPlace" : "Subtract"), 2);
                case Op.Multiply:
                    return node.InPlace ? Method("mul_") : new InfixDoc(Input(0), "*", Input(1));
                case Op.Divide:
                    return node.InPlace ? Method("div_") : new InfixDoc(Input(0), "/", Input(1));
                case Op.AddProduct:
                    return Call(E(node.InPlace ? "AddProductInPlace" : "AddProduct"), 3);
                case Op.Tanh:
                    return Call(E(node.InPlace ? "TanhInPlace" : "Tanh"), 1);
                case Op.Sigmoid or Op.Relu or Op.Max or Op.Min:
                    {
                        DslFunction function = DslFunctions.Of(node.Op);
                        if (node.InPlace && function.InPlaceMethod is { } method) return Method(method);
                        string call = function.Call!;
                        string head = call.Substring(0, call.IndexOf('(')).Replace("torch.", $"{_torch}.").Replace("Elementwise.", E(""));
                        return Call(head, function.Arity);
                    }
                case Op.Linear or Op.LayerNorm:
                    return LearnedCall(node.Op, node.Name, Input(0));
                case Op.Identity:
                    return Input(0);
                default:
                    throw new System.InvalidOperationException($"A plan holds no {node.Op} operation");
            }
        }

        private static string ActivationName(Op activation, string gate) => DslFunctions.Of(activation).Name.ToLowerInvariant()
            + Pascal(gate);

        private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

        /// <summary>A field name for a number: one, two, half, ... or constant.</summary>
        private static string ScalarName(double value) => value switch
        {
            0.0 when System.BitConverter.DoubleToInt64Bits(value) == 0 => "zero",
            1.0 => "one",
            2.0 => "two",
            0.5 => "half",
            -1.0 => "minusOne",
            _ => "constant",
        };

        /// <summary>A round-trippable, culture-independent C# double literal: "1.0", "0.5", "1E-05", "double.NaN".</summary>
        public static string Literal(double value)
        {
            if (double.IsNaN(value)) return "double.NaN";
            if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
            if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : $"{text}.0";
        }
    }
}
