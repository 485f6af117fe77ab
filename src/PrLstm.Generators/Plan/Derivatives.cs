using System;
using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Plan
{
    /// <summary>
    /// The reverse-mode derivative of a region, derived at compile time: the backward kernel recomputes the region's
    /// values from its inputs (nothing but the inputs is saved), then walks the values last to first and adds each
    /// value's adjoint, times the local derivative, to the adjoint of each operand. The local derivatives are libtorch's,
    /// ties and 0 included (docs/dsl.md, "Derivatives").
    /// </summary>
    internal static class Derivatives
    {
        /// <summary>One term of an adjoint: the operand it flows to, the FusedMath gradient, and its operands.</summary>
        /// <param name="Operands">Indices into the rule's vocabulary: -1 the value's adjoint, -2 the value itself, k ≥ 0 the
        /// value's k-th input.</param>
        internal sealed record Term(int Input, string Function, int[] Operands);

        private const int Adjoint = -1, Result = -2;

        /// <summary>The adjoint terms of one operation: for y = op(x0, x1, ...) with adjoint a, what each xk receives.</summary>
        public static IReadOnlyList<Term> Rule(Op op) => op switch
        {
            Op.Add => new[] { new Term(0, "Pass", new[] { Adjoint }), new Term(1, "Pass", new[] { Adjoint }) },
            Op.Subtract => new[] { new Term(0, "Pass", new[] { Adjoint }), new Term(1, "PassNegated", new[] { Adjoint }) },
            Op.Negate => new[] { new Term(0, "PassNegated", new[] { Adjoint }) },
            Op.Multiply => new[]
            {
                new Term(0, "ProductGradient", new[] { Adjoint, 1 }),
                new Term(1, "ProductGradient", new[] { Adjoint, 0 }),
            },
            Op.Divide => new[]
            {
                new Term(0, "DividendGradient", new[] { Adjoint, 1 }),
                new Term(1, "DivisorGradient", new[] { Adjoint, 0, 1 }),
            },
            Op.AddProduct => new[]
            {
                new Term(0, "Pass", new[] { Adjoint }),
                new Term(1, "ProductGradient", new[] { Adjoint, 2 }),
                new Term(2, "ProductGradient", new[] { Adjoint, 1 }),
            },
            Op.Sigmoid => new[] { new Term(0, "SigmoidGradient", new[] { Adjoint, Result }) },
            Op.Tanh => new[] { new Term(0, "TanhGradient", new[] { Adjoint, Result }) },
            Op.Relu => new[] { new Term(0, "ReluGradient", new[] { Adjoint, Result }) },
            Op.Max => new[] { new Term(0, "MaxGradient", new[] { Adjoint, 0, 1 }), new Term(1, "MaxGradient", new[] { Adjoint, 1, 0 }) },
            Op.Min => new[] { new Term(0, "MinGradient", new[] { Adjoint, 0, 1 }), new Term(1, "MinGradient", new[] { Adjoint, 1, 0 }) },
            _ => throw new InvalidOperationException($"No derivative for {op}"),
        };

        /// <summary>
        /// The backward kernel of a region. Slots: the inputs, the outputs' adjoints (which arrive there), the inputs'
        /// adjoints (which leave from there), then temporaries.
        /// </summary>
        public static KernelCode Backward(IReadOnlyList<BodyValue> values, List<int> inputs, List<int> outputs, List<int> program,
            Dictionary<int, string> names, IReadOnlyList<string> statements, IReadOnlyCollection<string> reserved)
        {
            var scope = new NameScope(reserved.Concat(Fusion.KernelNames).Concat(names.Values));
            var kernel = new Fusion.KernelWriter(values, names, statements, 2 * inputs.Count + outputs.Count);
            for (int i = 0; i < inputs.Count; i++) kernel.Declare(inputs[i], i);

            // Values a rule reads: kept until the end of the kernel.
            var read = new HashSet<int>();
            foreach (int v in program)
                foreach (Term term in Rule(values[v].Op))
                    foreach (int operand in term.Operands.Where(o => o != Adjoint))
                        read.Add(operand == Result ? v : values[v].Inputs[operand]);

            // Values to recompute: those the rules read and what they are computed from (an output nothing reads is not).
            var required = new HashSet<int>(read);
            for (int p = program.Count - 1; p >= 0; p--)
                if (required.Contains(program[p]))
                    foreach (int input in values[program[p]].Inputs) required.Add(input);

            // Numbers a rule reads of a value that is not recomputed (y = 2 * x) are filled first.
            foreach (int number in read.Where(v => values[v].Op == Op.Constant).OrderBy(v => v))
                kernel.Fill(number, null);
            kernel.Compute(program.Where(required.Contains).ToList(), keep: read.Contains, commentPrefix: "Recomputed: ");
            var slots = kernel.Slots;
            var steps = kernel.Steps;

            var adjoints = new Dictionary<int, (string Name, int Slot, bool Started)>();
            for (int o = 0; o < outputs.Count; o++)
                adjoints[outputs[o]] = (Claim(outputs[o], inputs.Count + o), inputs.Count + o, true);
            for (int i = 0; i < inputs.Count; i++)
                adjoints[inputs[i]] = (Claim(inputs[i], inputs.Count + outputs.Count + i), inputs.Count + outputs.Count + i, false);

            int statement = -1;
            for (int p = program.Count - 1; p >= 0; p--)
            {
                BodyValue value = values[program[p]];
                if (!adjoints.TryGetValue(value.Id, out var adjoint)) continue;
                string? comment = null;
                if (value.Statement != statement)
                {
                    statement = value.Statement;
                    comment = "Adjoints of " + statements[statement];
                }
                foreach (Term term in Rule(value.Op))
                {
                    int target = value.Inputs[term.Input];
                    if (values[target].Op == Op.Constant) continue;
                    if (!adjoints.TryGetValue(target, out var into))
                    {
                        int slot = slots.Take();
                        into = (Claim(target, slot), slot, false);
                    }
                    var operands = term.Operands.Select(o => o == Adjoint ? adjoint.Name : o == Result ? names[value.Id]
                        : names[value.Inputs[o]]).ToList();
                    steps.Add(new KernelStep(term.Function, operands, into.Name, into.Started, comment));
                    comment = null;
                    adjoints[target] = (into.Name, into.Slot, true);
                }
                if (slots.IsTemporary(adjoint.Slot)) slots.Give(adjoint.Slot);
            }
            foreach (int input in inputs.Where(i => !adjoints[i].Started))
                steps.Add(new KernelStep("Fill", new[] { "0.0" }, adjoints[input].Name, null, "Inputs no output depends on"));
            return kernel.Code();

            string Claim(int value, int slot)
            {
                string name = scope.Claim("d" + Fusion.Pascal(names[value]));
                kernel.Declare(name, slot);
                return name;
            }
        }
    }
}
