using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Emits a [ParallelRecursiveModel] class as a TorchSharp module: the tree scan (forward, ScanStates), the
    /// final-state-only reduction (FinalState) and the sequential baseline (ForwardSequential,
    /// ScanStatesSequential), all through the same encoder, block and refinement layers.
    /// </summary>
    internal static class ModelEmitter
    {
        private const string Schedule = "global::PrLstm.Runtime.Schedule.";
        private const string Modules = "global::PrLstm.Runtime.Modules.";

        public static string Emit(ModelPlan plan)
        {
            var type = plan.Type;
            string state = plan.State.Type.FullyQualifiedName + ".Tensors";
            string output = plan.State.OutputField;
            string outputSize = plan.State.Field(output)!.Size;
            bool hasRefinement = plan.Refinement is not null;
            string Args(EquatableArray<string> sizes) => string.Join(", ", sizes.Concat(new[] { "device", "dtype" }));
            string fieldShapes = string.Join(", ", plan.State.Fields.Select(f => f.Name + " [B, T, " + f.Size + "]"));

            var w = FileHeader.Begin(type, "PrLstm model " + type.Name + ": token encoder " + Short(plan.Encoder) + ", composition block " + Short(plan.Block)
                + (hasRefinement ? ", refinement " + Short(plan.Refinement!) : "") + ".");
            w.Line("/// <summary>");
            w.Line("/// Parallel recursive model (PR-LSTM family, arXiv 2605.17108): every token is encoded on its own by");
            w.Line("/// <see cref=\"" + Short(plan.Encoder) + "\"/>, then <see cref=\"" + Short(plan.Block) + "\"/>" + (hasRefinement ? " followed by K <see cref=\"" + Short(plan.Refinement!) + "\"/> layers" : ""));
            w.Line("/// merges states over the balanced tree of a parallel prefix scan (the bracketing of jax.lax.associative_scan).");
            w.Line("/// Parameters: encoder.gates.*, block.gates.*" + (hasRefinement ? ", refinements.{k}.gates.*" : "") + " (see docs/weights.md).");
            w.Line("/// </summary>");
            w.Line(FileHeader.GeneratedCodeAttribute);
            w.Open(FileHeader.PartialDeclaration(type) + " : torch.nn.Module<torch.Tensor, torch.Tensor>, " + Modules + "IStreamingModel");
            w.Line("private readonly " + plan.Encoder + ".Layer encoder;");
            w.Line("private readonly " + plan.Block + ".Layer block;");
            if (hasRefinement)
                w.Line("private readonly global::TorchSharp.Modules.ModuleList<" + plan.Refinement + ".Layer> refinements;");
            w.Line();
            w.Line("/// <summary>Size E of each token's input vector.</summary>");
            w.Line("public long InputSize { get; }");
            w.Line();
            foreach (string size in plan.Sizes)
            {
                w.Line("/// <summary>The size " + size + ".</summary>");
                w.Line("public long " + size + " { get; }");
                w.Line();
            }
            w.Line("/// <summary>Number of refinement layers applied after the composition block.</summary>");
            w.Line("public int Refinements => " + (hasRefinement ? "refinements.Count" : "0") + ";");
            w.Line();
            w.Line("/// <summary>Size of the output field " + output + " (" + outputSize + "), the last dimension of <see cref=\"forward\"/>'s result.</summary>");
            w.Line("public long OutputSize => " + outputSize + ";");
            w.Line();

            // Constructor.
            var parameters = new[] { "long inputSize" }.Concat(plan.Sizes.Select(s => "long " + s));
            if (hasRefinement) parameters = parameters.Concat(new[] { "int refinements = " + plan.DefaultRefinements });
            parameters = parameters.Concat(new[] { "torch.Device? device = null", "torch.ScalarType? dtype = null" });
            w.Line("/// <summary>Creates the model with freshly initialised weights (truncated normal, std 1/sqrt(fan_in), zero biases).</summary>");
            w.Line("/// <param name=\"inputSize\">Size E of each token's input vector.</param>");
            foreach (string size in plan.Sizes)
                w.Line("/// <param name=\"" + size + "\">The size " + size + ".</param>");
            if (hasRefinement)
                w.Line("/// <param name=\"refinements\">Number K of refinement layers (the paper's 0R / 1R / 2R use 0, 1, 2).</param>");
            w.Line("/// <param name=\"device\">Where the parameters live (default: the CPU).</param>");
            w.Line("/// <param name=\"dtype\">The parameters' type (default: float32).</param>");
            w.Line("public " + type.Name + "(" + string.Join(", ", parameters) + ")");
            w.Open("    : base(\"" + type.Name + "\")");
            w.Line(Modules + "ModelArguments.Positive(inputSize, nameof(inputSize));");
            foreach (string size in plan.Sizes)
                w.Line(Modules + "ModelArguments.Positive(" + size + ", nameof(" + size + "));");
            if (hasRefinement)
                w.Line(Modules + "ModelArguments.NonNegative(refinements, nameof(refinements));");
            w.Line("InputSize = inputSize;");
            foreach (string size in plan.Sizes)
                w.Line("this." + size + " = " + size + ";");
            w.Line("encoder = new " + plan.Encoder + ".Layer(inputSize, " + Args(plan.EncoderSizes) + ");");
            w.Line("block = new " + plan.Block + ".Layer(" + Args(plan.BlockSizes) + ");");
            if (hasRefinement)
            {
                w.Line("var refinementLayers = new " + plan.Refinement + ".Layer[refinements];");
                w.Line("for (int k = 0; k < refinements; k++)");
                w.Line("    refinementLayers[k] = new " + plan.Refinement + ".Layer(" + Args(plan.RefinementSizes) + ");");
                w.Line("this.refinements = new global::TorchSharp.Modules.ModuleList<" + plan.Refinement + ".Layer>(refinementLayers);");
            }
            w.Line("RegisterComponents();");
            w.Line(Modules + "Initialization.ResetParameters(this);");
            w.Close();
            w.Line();

            // The three executions.
            w.Line("/// <summary>All prefix outputs by the tree scan: x <c>[B, T, E]</c> → " + output + " <c>[B, T, " + outputSize + "]</c>; position t depends on tokens 0..t only.</summary>");
            w.Open("public override torch.Tensor forward(torch.Tensor x)");
            w.Line("using var scope = torch.NewDisposeScope();");
            w.Line("return ScanStates(x)." + output + ".MoveToOuterDisposeScope();");
            w.Close();
            w.Line();
            w.Line("/// <summary>Every field of every prefix state by the tree scan: " + fieldShapes + ".</summary>");
            w.Open("public " + state + " ScanStates(torch.Tensor x)");
            w.Line("using var scope = torch.NewDisposeScope();");
            w.Line("var leaves = Encode(x);");
            w.Line("return " + Schedule + "TreeScan.Prefix(leaves, new Combiner(this)).MoveToOuterDisposeScope();");
            w.Close();
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// The state of each whole sequence, equal to the last position of <see cref=\"ScanStates\"/> (same bracketing),");
            w.Line("/// computing only the tree nodes it needs: fields <c>[B, size]</c>.");
            w.Line("/// </summary>");
            w.Open("public " + state + " FinalState(torch.Tensor x)");
            w.Line("using var scope = torch.NewDisposeScope();");
            w.Line("var leaves = Encode(x);");
            w.Line("return " + Schedule + "Reduce.Final(leaves, new Combiner(this)).SqueezeTime().MoveToOuterDisposeScope();");
            w.Close();
            w.Line();
            w.Line("/// <summary>The sequential baseline: the same layers applied left to right, s_t = f(s_{t-1}, leaf_t); " + output + " <c>[B, T, " + outputSize + "]</c>.</summary>");
            w.Open("public torch.Tensor ForwardSequential(torch.Tensor x)");
            w.Line("using var scope = torch.NewDisposeScope();");
            w.Line("return ScanStatesSequential(x)." + output + ".MoveToOuterDisposeScope();");
            w.Close();
            w.Line();
            w.Line("/// <summary>Every field of every prefix state of the sequential baseline: " + fieldShapes + ".</summary>");
            w.Open("public " + state + " ScanStatesSequential(torch.Tensor x)");
            w.Line("using var scope = torch.NewDisposeScope();");
            w.Line("var leaves = Encode(x);");
            w.Line("return " + Schedule + "SequentialFold.Prefix(leaves, new Combiner(this)).MoveToOuterDisposeScope();");
            w.Close();
            w.Line();
            w.Line("/// <summary>Checks the input and encodes every token: x <c>[B, T, E]</c> → leaf states " + fieldShapes + ".</summary>");
            w.Open("public " + state + " Encode(torch.Tensor x)");
            w.Line(Modules + "ModelInput.Validate(this, x, InputSize, nameof(x));");
            w.Line("return " + Schedule + "CpuSplit.Encode(x, " + Check.Sizes.ToCSharp(plan.State.Fields.Select(f => f.Size)) + ", encoder.forward);");
            w.Close();
            w.Line();
            w.Line("/// <summary>The combine operator f(left, right): the composition block" + (hasRefinement ? ", then each refinement layer" : "") + ".</summary>");
            w.Open("public " + state + " Combine(" + state + " left, " + state + " right)");
            if (hasRefinement)
            {
                w.Line("using var scope = torch.NewDisposeScope();");
                w.Line("var merged = block.forward(left, right);");
                w.Line("foreach (var refinement in refinements)");
                w.Line("    merged = refinement.forward(merged);");
                w.Line("return merged.MoveToOuterDisposeScope();");
            }
            else
            {
                w.Line("return block.forward(left, right);");
            }
            w.Close();
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Opens a stream that reads <paramref name=\"batch\"/> sequences one token at a time: each push returns " + output + " for the new");
            w.Line("/// prefix, equal to that position of <see cref=\"forward\"/>, at about two combines per token and O(log t) states.");
            w.Line("/// </summary>");
            w.Line("public " + Modules + "ModelStream<" + state + "> OpenStream(long batch) =>");
            w.Line("    new(this, batch, InputSize, new long[] { " + string.Join(", ", plan.State.Fields.Select(f => f.Size)) + " }, "
                + plan.State.Fields.ToList().FindIndex(f => f.Name == output) + ", Encode, new Combiner(this));");
            w.Line();
            w.Line(Modules + "IModelStream " + Modules + "IStreamingModel.OpenStream(long batch) =>");
            w.Line("    OpenStream(batch);");
            w.Line();
            w.Line("/// <summary>Writes the parameters to a safetensors file, by name (atomically: a temporary file, then a rename).</summary>");
            w.Line("public void SaveWeights(string path) => global::PrLstm.Runtime.Weights.Safetensors.Save(this, path);");
            w.Line();
            w.Line("/// <summary>Reads parameters saved by <see cref=\"SaveWeights\"/> (or by PyTorch with the same names and shapes).</summary>");
            w.Line("public void LoadWeights(string path) => global::PrLstm.Runtime.Weights.Safetensors.Load(this, path);");
            w.Line();
            w.Line("/// <summary>Adapts <see cref=\"Combine\"/> to the schedules; a struct, so the schedule code is specialised for it.</summary>");
            w.Open("private readonly struct Combiner : " + Schedule + "IScanCombine<" + state + ">");
            w.Line("private readonly " + type.Name + " model;");
            w.Line();
            w.Line("public Combiner(" + type.Name + " model) => this.model = model;");
            w.Line();
            w.Line("public " + state + " Combine(" + state + " left, " + state + " right) => model.Combine(left, right);");
            w.Close();
            w.Close();
            return FileHeader.End(type, w);
        }

        private static string Short(string fullyQualifiedName) => fullyQualifiedName.Substring(fullyQualifiedName.LastIndexOf('.') + 1).Replace("global::", "");
    }
}
