using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Plan;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Prints one fused region as a class nested in the layer: a <c>FusedKernel</c> whose Forward and Backward are the
    /// region's kernels, one FusedMath call per operation and per adjoint term, each group under the declaration's
    /// statement it implements.
    /// </summary>
    internal static class KernelPrinter
    {
        private const string Slots = "global::PrLstm.Runtime.CompilerServices.KernelSlots<T>";
        private const string Span = "global::System.Span<T>";

        /// <param name="className">The region's class.</param>
        /// <param name="fusedKernel">The alias of the runtime's FusedKernel class; <paramref name="fusedMath"/> of FusedMath.</param>
        /// <param name="gateSizes">The layer's gate sizes field; null for a layer without gates.</param>
        public static void Write(SourceWriter w, FusedLayerPlan plan, FusedRegion region, string className, string owner,
            string fusedKernel, string fusedMath, string? gateSizes)
        {
            var values = plan.Values;
            string Describe(int v) => values[v].Op == Op.Field ? $"{values[v].Name}.{values[v].Field}"
                : values[v].Local ?? (values[v].IsInput ? values[v].Name : "a value");
            var fields = region.Outputs.Select(o => plan.Fields.FirstOrDefault(f => f.Value == o && !f.Alias)?.Field
                ?? "the input of " + string.Join(", ", values.Where(l => l.IsLearned && l.Inputs[0] == o).Select(l => l.Name))).ToList();
            w.Summary($"The fused CPU kernels of {owner}'s values of size {region.Size}: "
                + string.Join(", ", region.Inputs.Select(i => Describe(i.Value))) + " → " + string.Join(", ", fields)
                + ". The backward kernel is the forward one's derivative: it recomputes the values it needs from the inputs.");
            w.Line(FileHeader.GeneratedCodeAttribute);
            w.Open($"private sealed class {className} : {fusedKernel}");

            string parameters = string.Join(", ", ConstructorParameters(region, gateSizes).Select(p => $"{p.Type} {p.Name}"));
            w.Line($"public {className}({parameters})");
            var inputs = region.Inputs.Select(i => (Doc)new Text(i.Gate >= 0
                ? $"({i.Argument}, {fusedKernel}.Column({gateSizes}, {i.Gate}))" : $"({i.Argument}, 0)")).ToList();
            w.Indentation++;
            DocWriter.Write(w, ": ", new CallDoc(null, "base", new Doc[]
            {
                new Text($"\"{owner}\""),
                new Text(Sizes.ToCSharp(new[] { region.Size })),
                new ArrayDoc("new (int, long)[]", inputs),
                new Text($"outputs: {region.Outputs.Count}"),
                new Text($"forwardTemporaries: {region.Forward.Temporaries}"),
                new Text($"backwardTemporaries: {region.Backward.Temporaries}"),
            }), "");
            w.Indentation--;
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Summary("Slots: the inputs, the outputs, then temporaries.");
            WriteKernel(w, "Forward", region.Forward, fusedMath);
            w.Line();
            w.Summary("Slots: the inputs, the outputs' adjoints, the inputs' adjoints, then temporaries.");
            WriteKernel(w, "Backward", region.Backward, fusedMath);
            w.Line();
            w.Summary("The forward kernel as libtorch operations on the input slots, which autograd records: what the backward "
                + "differentiates when a gradient of the gradient is asked for (create_graph).");
            WriteOpByOp(w, region, fusedMath);
            w.Close();
        }

        /// <summary>
        /// The forward kernel's steps, each as the FusedMath overload on tensors that returns its value: one local per
        /// variable (the kernel's slot sharing does not apply), the outputs returned in slot order.
        /// </summary>
        private static void WriteOpByOp(SourceWriter w, FusedRegion region, string fusedMath)
        {
            const string tensor = "global::TorchSharp.torch.Tensor";
            var code = region.Forward;
            int inputs = region.Inputs.Count;
            w.Open($"protected override {tensor}[] ForwardOpByOp({tensor}[] inputs)");
            foreach (KernelVariable variable in code.Variables.Where(v => v.Slot < inputs))
                w.Line($"var {Names.Identifier(variable.Name)} = inputs[{variable.Slot}];");
            var assigned = new HashSet<string>(code.Variables.Where(v => v.Slot < inputs).Select(v => v.Name));
            foreach (KernelStep step in code.Steps)
            {
                if (step.Comment is { } comment) w.Comment(comment);
                var arguments = step.Function == "Fill"
                    ? new[] { step.Operands[0], "inputs[0]" }
                    : step.Operands.Select(Names.Identifier).ToArray();
                string target = Names.Identifier(step.Destination);
                DocWriter.Write(w, (assigned.Add(step.Destination) ? "var " : "") + target + " = ",
                    new CallDoc(null, $"{fusedMath}.{step.Function}", arguments.Select(a => (Doc)new Text(a)).ToList()), ";");
            }
            // An output is what its slot holds at the end: the last step's destination in that slot.
            var slotOf = code.Variables.GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First().Slot);
            var outputs = Enumerable.Range(inputs, region.Outputs.Count)
                .Select(slot => Names.Identifier(code.Steps.Last(step => slotOf[step.Destination] == slot).Destination));
            w.Line($"return new {tensor}[] {{ {string.Join(", ", outputs)} }};");
            w.Close();
        }

        /// <summary>
        /// The region class's constructor parameters: the gate sizes (named <paramref name="gateSizes"/>) when it reads
        /// gates, then the size names of its width. The layer passes its own field and sizes of the same names.
        /// </summary>
        public static IEnumerable<(string Type, string Name)> ConstructorParameters(FusedRegion region, string? gateSizes) =>
            (region.Inputs.Any(i => i.Gate >= 0) ? new[] { ("long[]", gateSizes!) } : new (string, string)[0])
                .Concat(Sizes.Distinct(new[] { region.Size }).Select(s => ("long", s)));

        private static void WriteKernel(SourceWriter w, string name, KernelCode code, string fusedMath)
        {
            w.Open($"protected override void {name}<T>({Slots} slots)");
            foreach (KernelVariable variable in code.Variables)
                w.Line($"{Span} {Names.Identifier(variable.Name)} = slots[{variable.Slot}];");
            foreach (KernelStep step in code.Steps)
            {
                if (step.Comment is { } comment) w.Comment(comment);
                var arguments = step.Operands.Select(o => step.Function == "Fill" ? o : Names.Identifier(o))
                    .Concat(new[] { Names.Identifier(step.Destination) })
                    .Concat(step.Accumulate is { } accumulate ? new[] { $"accumulate: {(accumulate ? "true" : "false")}" } : new string[0])
                    .Select(a => (Doc)new Text(a)).ToList();
                DocWriter.Write(w, "", new CallDoc(null, $"{fusedMath}.{step.Function}<T>", arguments), ";");
            }
            w.Close();
        }
    }
}
