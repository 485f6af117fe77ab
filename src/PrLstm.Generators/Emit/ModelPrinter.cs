using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Prints a [ParallelRecursiveModel] class as a TorchSharp module: one method per schedule of
    /// <see cref="Schedules"/> (the tree scan, the final-state-only reduction, the sequential baseline), all through the
    /// same encoder, block and refinement layers.
    /// </summary>
    internal sealed class ModelPrinter
    {
        private const string Runtime = "global::PrLstm.Runtime.";

        private readonly CheckedModel _model;
        private readonly SourceWriter _w;
        private readonly string _torch, _state, _encoder, _block, _refinements, _scope, _leaves, _combiner, _modelField, _merged,
            _refinement, _layers, _k, _x, _batch, _states, _positions;
        private readonly bool _hasRefinement;
        private readonly string _output, _outputSize, _fieldShapes;

        private ModelPrinter(CheckedModel model)
        {
            _model = model;
            _hasRefinement = model.Refinement is not null;
            var scope = new NameScope(model.ScopeNames.Concat(model.Sizes).Concat(ModelApi.Names).Concat(new[] { model.Type.Name }));
            _torch = scope.Claim("torch");
            _state = scope.Claim(model.State.Type.Name + Names.TensorsRecord);
            _encoder = scope.Claim("encoder");
            _block = scope.Claim("block");
            _refinements = scope.Claim("refinementLayers");
            _combiner = scope.Claim("Combiner");
            _scope = scope.Claim("scope");
            _leaves = scope.Claim("leaves");
            _modelField = scope.Claim("model");
            _merged = scope.Claim("merged");
            _refinement = scope.Claim("refinement");
            _layers = scope.Claim("layers");
            _k = scope.Claim("k");
            _x = scope.Claim("x");
            _batch = scope.Claim("batch");
            _states = scope.Claim("states");
            _positions = scope.Claim("positions");
            _output = model.State.OutputField;
            _outputSize = model.State.Field(_output)!.Size;
            _fieldShapes = string.Join(", ", model.State.Fields.Select(f => $"{f.Name} [B, T, {f.Size}]"));
            _w = FileHeader.Begin(model.Type, $"PrLstm model {model.Type.Name}: token encoder {ModelChecks.ShortName(model.Encoder)}"
                + ", composition block " + ModelChecks.ShortName(model.Block)
                    + (_hasRefinement ? ", refinement " + ModelChecks.ShortName(model.Refinement!) : "") + ".",
                new[] { (_torch, "global::TorchSharp.torch"), (_state, $"{model.State.Type.FullyQualifiedName}.{Names.TensorsRecord}") });
        }

        public static string Print(CheckedModel model) => new ModelPrinter(model).Print();

        private string Print()
        {
            var type = _model.Type;
            string refinementText = _hasRefinement ? " followed by K <see cref=\"" + ModelChecks.ShortName(_model.Refinement!)
                + "\"/> layers" : "";
            _w.Line("/// <summary>");
            _w.Comment("Parallel recursive model (PR-LSTM family, arXiv 2605.17108): every token is encoded on its own by <see cref=\""
                + ModelChecks.ShortName(_model.Encoder) + "\"/>, then <see cref=\"" + ModelChecks.ShortName(_model.Block) + "\"/>"
                    + refinementText
                + " merges states over the balanced tree of a parallel prefix scan (the bracketing of jax.lax.associative_scan). "
                    + "Parameters, by name: "
                + "encoder.gates.*, block.gates.*" + (_hasRefinement ? ", refinements.{k}.gates.*" : "")
                + " and the learned operations' own, as PyTorch names them (SaveWeights writes them to safetensors).", "///");
            _w.Line("/// </summary>");
            _w.Line(FileHeader.GeneratedCodeAttribute);
            _w.Open($"{FileHeader.PartialDeclaration(type)} : {_torch}.nn.Module<{_torch}.Tensor, {_torch}.Tensor>, "
                + $"{Runtime}Modules.ITreeScanModel");
            WriteMembers();
            WriteConstructor();
            foreach (ScheduleInfo schedule in Schedules.All)
                WriteSchedule(schedule);
            WriteEncodeAndCombine();
            WriteStreamAndWeights();
            _w.Close();
            return FileHeader.End(type, _w);
        }

        private string Layer(string layerType) => $"{layerType}.{Names.LayerClass}";

        private void WriteMembers()
        {
            _w.Line($"private readonly {Layer(_model.Encoder)} {_encoder};");
            _w.Line($"private readonly {Layer(_model.Block)} {_block};");
            if (_hasRefinement)
                _w.Line("private readonly global::TorchSharp.Modules.ModuleList<" + Layer(_model.Refinement!) + "> " + _refinements + ";");
            _w.Line();
            _w.Summary("Size E of each token's input vector.");
            _w.Line($"public long {ModelApi.InputSize} {{ get; }}");
            _w.Line();
            foreach (string size in _model.Sizes)
            {
                _w.Summary($"The size {size}.");
                _w.Line($"public long {size} {{ get; }}");
                _w.Line();
            }
            _w.Summary("Number of refinement layers applied after the composition block.");
            _w.Line("public int " + ModelApi.Refinements + " => " + (_hasRefinement ? $"{_refinements}.Count" : "0") + ";");
            _w.Line();
            _w.Summary($"Size of the output field {_output} ({_outputSize}), the last dimension of <see cref=\"forward\"/>'s result.");
            _w.Line($"public long {ModelApi.OutputSize} => {_outputSize};");
            _w.Line();
            _w.Summary("How the schedules split their work (by default, CPU calls of at most 4 MiB of state) and whether training "
                + "recomputes each call in the backward to save memory (RecomputeInBackward; off by default). This model only.");
            _w.Line($"public {Runtime}Schedule.ScanOptions {ModelApi.ScanOptions} {{ get; set; }} = "
                + $"{Runtime}Schedule.ScanOptions.Default;");
            _w.Line();
            _w.Summary("How every layer runs its body: one libtorch call per operation (OpByOp), fused CPU kernels for float32 and "
                + "float64 (Fused), or the path measured faster (Automatic, the default: the fused kernels for training where they run "
                + "on libtorch's threads and in a stream of a few rows, op-by-op otherwise). All compute the same values and "
                + "gradients to float rounding.");
            _w.Line($"public {Runtime}Modules.KernelPath {ModelApi.KernelPath}");
            _w.Line("{");
            _w.Indentation++;
            _w.Line($"get => {_encoder}.{ModelApi.KernelPath};");
            _w.Line("set");
            _w.Line("{");
            _w.Indentation++;
            _w.Line($"{_encoder}.{ModelApi.KernelPath} = value;");
            _w.Line($"{_block}.{ModelApi.KernelPath} = value;");
            if (_hasRefinement)
            {
                _w.Line($"foreach (var layer in {_refinements}) layer.{ModelApi.KernelPath} = value;");
            }
            _w.Indentation--;
            _w.Line("}");
            _w.Indentation--;
            _w.Line("}");
            _w.Line();
        }

        private void WriteConstructor()
        {
            string device = ModelApi.DeviceParameter, dtype = ModelApi.DtypeParameter, inputSize = ModelApi.InputSizeParameter,
                refinements = ModelApi.RefinementsParameter;
            string Args(EquatableArray<string> sizes) => string.Join(", ", sizes.Concat(new[] { device, dtype }));
            var parameters = new[] { $"long {inputSize}" }.Concat(_model.Sizes.Select(s => $"long {s}"));
            if (_hasRefinement) parameters = parameters.Concat(new[] { $"int {refinements} = {_model.DefaultRefinements}" });
            parameters = parameters.Concat(new[] { $"{_torch}.Device? {device} = null", $"{_torch}.ScalarType? {dtype} = null" });
            _w.Summary("Creates the model with freshly initialised weights (truncated normal, std 1/sqrt(fan_in), zero biases).");
            _w.Line($"/// <param name=\"{inputSize}\">Size E of each token's input vector.</param>");
            foreach (string size in _model.Sizes)
                _w.Line($"/// <param name=\"{size}\">The size {size}.</param>");
            if (_hasRefinement)
                _w.Line($"/// <param name=\"{refinements}\">Number K of refinement layers (the paper's 0R / 1R / 2R use 0, 1, 2).</param>");
            _w.Line($"/// <param name=\"{device}\">Where the parameters live (default: the CPU).</param>");
            _w.Line($"/// <param name=\"{dtype}\">The parameters' type (default: float32).</param>");
            DocWriter.Write(_w, $"public {_model.Type.Name}", new CallDoc(null, "", parameters.Select(p => (Doc)new Text(p)).ToList()), "");
            _w.Open($"    : base(\"{_model.Type.Name}\")");
            string arguments = $"{Runtime}Modules.ModelArguments";
            _w.Line($"{arguments}.Positive({inputSize}, nameof({inputSize}));");
            foreach (string size in _model.Sizes)
                _w.Line($"{arguments}.Positive({size}, nameof({size}));");
            if (_hasRefinement)
                _w.Line($"{arguments}.NonNegative({refinements}, nameof({refinements}));");
            _w.Line($"{ModelApi.InputSize} = {inputSize};");
            foreach (string size in _model.Sizes)
                _w.Line($"this.{size} = {size};");
            _w.Line($"{_encoder} = new {Layer(_model.Encoder)}({inputSize}, {Args(_model.EncoderSizes)});");
            _w.Line($"{_block} = new {Layer(_model.Block)}({Args(_model.BlockSizes)});");
            if (_hasRefinement)
            {
                string layer = Layer(_model.Refinement!);
                _w.Line($"var {_layers} = new {layer}[{refinements}];");
                _w.Line("for (int " + _k + " = 0; " + _k + " < " + refinements + "; " + _k + "++)");
                _w.Line($"    {_layers}[{_k}] = new {layer}({Args(_model.RefinementSizes)});");
                _w.Line($"{_refinements} = new global::TorchSharp.Modules.ModuleList<{layer}>({_layers});");
            }
            // Registered by name, so that the weights' names do not depend on the fields' names.
            _w.Line($"register_module(\"encoder\", {_encoder});");
            _w.Line($"register_module(\"block\", {_block});");
            if (_hasRefinement)
                _w.Line($"register_module(\"refinements\", {_refinements});");
            _w.Line($"{Runtime}Modules.Initialization.ResetParameters(this);");
            _w.Close();
            _w.Line();
        }

        private void WriteSchedule(ScheduleInfo schedule)
        {
            if (schedule.OutputMethod is { } outputMethod)
            {
                _w.Summary(string.Format(schedule.OutputSummary!, $"{_output} <c>[B, T, {_outputSize}]</c>"));
                _w.Open("public " + (outputMethod == "forward" ? "override " : "") + _torch + ".Tensor " + outputMethod + "(" + _torch
                    + ".Tensor " + _x + Positions(schedule, declare: true) + ")");
                _w.Line($"using var {_scope} = {_torch}.NewDisposeScope();");
                _w.Line($"return {schedule.MethodName}({_x}{Positions(schedule, declare: false)}).{Names.Identifier(_output)}"
                    + ".MoveToOuterDisposeScope();");
                _w.Close();
                _w.Line();
            }
            _w.Summary(schedule.Summary + ": " + (schedule.SqueezeTime ? "fields <c>[B, size]</c>." : $"{_fieldShapes}."));
            _w.Open($"public {_state} {schedule.MethodName}({_torch}.Tensor {_x}{Positions(schedule, declare: true)})");
            _w.Line($"using var {_scope} = {_torch}.NewDisposeScope();");
            _w.Line($"var {_leaves} = {ModelApi.Encode}({_x});");
            string combine = schedule.Chunked
                ? $"{Runtime}Schedule.CpuChunking.Around({_leaves}, new {_combiner}(this), {ModelApi.ScanOptions}, {_block}"
                    + (_hasRefinement ? $", {_refinements})" : ")")
                : $"new {_combiner}(this)";
            var arguments = schedule.AtPositions
                ? new Doc[] { new Text(_leaves), new Text(_positions), new Text(combine) }
                : new Doc[] { new Text(_leaves), new Text(combine) };
            Doc result = new CallDoc(null, $"{Runtime}Schedule.{schedule.RuntimeEntry}", arguments);
            DocWriter.Write(_w, $"var {_states} = ", result, ";");
            _w.Line($"return {_states}" + (schedule.SqueezeTime ? ".SqueezeTime()" : "") + ".MoveToOuterDisposeScope();");
            _w.Close();
            _w.Line();
        }

        /// <summary>", IReadOnlyList&lt;long&gt; positions" (declared) or ", positions" (passed) for a schedule at positions.</summary>
        private string Positions(ScheduleInfo schedule, bool declare) =>
            !schedule.AtPositions ? ""
            : declare ? $", global::System.Collections.Generic.IReadOnlyList<long> {_positions}"
            : $", {_positions}";

        private void WriteEncodeAndCombine()
        {
            _w.Summary($"Checks the input and encodes every token: x <c>[B, T, E]</c> → leaf states {_fieldShapes}.");
            _w.Open($"public {_state} {ModelApi.Encode}({_torch}.Tensor {_x})");
            _w.Line($"{Runtime}Modules.ModelInput.Validate(this, {_x}, {ModelApi.InputSize}, nameof({_x}));");
            DocWriter.Write(_w, "return ", new CallDoc(null, $"{Runtime}Schedule.CpuChunking.Encode", new Doc[]
            {
                new Text(_x), new Text(Sizes.ToCSharp(_model.State.Fields.Select(f => f.Size))), new Text($"{_encoder}.forward"),
                    new Text(ModelApi.ScanOptions), new Text(_encoder),
            }), ";");
            _w.Close();
            _w.Line();
            _w.Summary("The combine operator f(left, right): the composition block"
                + (_hasRefinement ? ", then each refinement layer" : "") + ".");
            _w.Open($"public {_state} {ModelApi.Combine}({_state} left, {_state} right)");
            if (_hasRefinement)
            {
                _w.Line($"using var {_scope} = {_torch}.NewDisposeScope();");
                _w.Line($"var {_merged} = {_block}.forward(left, right);");
                _w.Line($"foreach (var {_refinement} in {_refinements})");
                _w.Line($"    {_merged} = {_refinement}.forward({_merged});");
                _w.Line($"return {_merged}.MoveToOuterDisposeScope();");
            }
            else
            {
                _w.Line($"return {_block}.forward(left, right);");
            }
            _w.Close();
            _w.Line();
        }

        private void WriteStreamAndWeights()
        {
            string stream = $"{Runtime}Modules.";
            _w.Line("/// <summary>");
            _w.Comment($"Opens a stream that reads <paramref name=\"{_batch}\"/> sequences one token at a time: each push returns {_output}"
                + " for the new prefix, equal to that position of <see cref=\"forward\"/>, at about two combines per token and O(log t) "
                    + "states.", "///");
            _w.Line("/// </summary>");
            _w.Line($"public {stream}ModelStream<{_state}> {ModelApi.OpenStream}(long {_batch}) =>");
            DocWriter.Write(_w, "    ", new CallDoc(null, "new", new Doc[]
            {
                new Text("this"), new Text(_batch), new Text(ModelApi.InputSize),
                new ArrayDoc("new long[]", _model.State.Fields.Select(f => (Doc)new Text(f.Size)).ToList()),
                new Text(_model.State.Fields.ToList().FindIndex(f => f.Name == _output).ToString()), new Text(ModelApi.Encode),
                    new Text($"new {_combiner}(this)"),
            }), ";");
            _w.Line();
            _w.Line($"{stream}IModelStream {stream}IStreamingModel.{ModelApi.OpenStream}(long {_batch}) =>");
            _w.Line($"    {ModelApi.OpenStream}({_batch});");
            _w.Line();
            _w.Summary("Writes the parameters to a safetensors file, by name (atomically: a temporary file, then a rename).");
            _w.Line($"public void {ModelApi.SaveWeights}(string path) => {Runtime}Weights.Safetensors.Save(this, path);");
            _w.Line();
            _w.Summary($"Reads parameters saved by <see cref=\"{ModelApi.SaveWeights}\"/> (or by PyTorch with the same names and shapes).");
            _w.Line($"public void {ModelApi.LoadWeights}(string path) => {Runtime}Weights.Safetensors.Load(this, path);");
            _w.Line();
            _w.Summary($"Adapts <see cref=\"{ModelApi.Combine}\"/> to the schedules; "
                + "a struct, so the schedule code is specialised for it.");
            _w.Open($"private readonly struct {_combiner} : {Runtime}Schedule.IScanCombine<{_state}>");
            _w.Line($"private readonly {Names.Identifier(_model.Type.Name)} {_modelField};");
            _w.Line();
            _w.Line($"public {_combiner}({Names.Identifier(_model.Type.Name)} {_modelField}) => this.{_modelField} = {_modelField};");
            _w.Line();
            _w.Line($"public {_state} Combine({_state} left, {_state} right) =>");
            _w.Line($"    {_modelField}.{ModelApi.Combine}(left, right);");
            _w.Close();
        }
    }
}
