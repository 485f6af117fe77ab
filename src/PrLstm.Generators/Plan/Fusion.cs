using System;
using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Plan
{
    /// <summary>
    /// Builds a layer's fused forward path (<see cref="FusedLayerPlan"/>) from its plan: the body in single-assignment
    /// form, split into regions at learned operations and by size, each region's forward kernel with its slots
    /// allocated, and (through <see cref="Derivatives"/>) its backward kernel.
    /// </summary>
    internal static class Fusion
    {
        /// <summary>The names a kernel method uses for itself: its type parameter and its slots.</summary>
        public static readonly string[] KernelNames = { "T", "slots" };

        /// <summary>The fused path of a layer; kernel variables avoid <paramref name="reserved"/> (the file's aliases).</summary>
        public static FusedLayerPlan Plan(CheckedLayer layer, IReadOnlyCollection<string> reserved)
        {
            // Lowered and with sum + a * b fused, but gate activations inline: a kernel computes them itself.
            LayerPlan plan = Passes.FuseAddProduct(Passes.Lower(layer, inPlace: false));
            var builder = new ValueBuilder();
            var locals = new Dictionary<string, int>();
            var statements = new List<string>();
            var fields = new List<FusedField>();
            var returned = new HashSet<int>();
            foreach (Statement statement in plan.Statements)
            {
                int index = statements.Count;
                statements.Add(statement.Source);
                int value = builder.Add(statement.Value, locals, index);
                if (statement.Kind == StatementKind.Local)
                {
                    locals[statement.Target] = value;
                    builder.Values[value].Local ??= statement.Target;
                }
                else
                {
                    var v = builder.Values[value];
                    v.Returned ??= statement.Target;
                    fields.Add(new FusedField(statement.Target, value, statement.Source, Alias: v.Op == Op.Field || !returned.Add(value)));
                }
            }

            var values = builder.Values;
            var stages = new List<FusedStage>();
            var regions = new List<FusedRegion>();
            var levels = new int[values.Count];
            foreach (BodyValue v in values)
                levels[v.Id] = (v.IsLearned ? 1 : 0) + v.Inputs.Select(i => levels[i]).DefaultIfEmpty(0).Max();
            int deepest = values.Where(v => v.IsLearned).Select(v => levels[v.Id]).DefaultIfEmpty(0).Max();
            for (int level = 1; level <= deepest; level++)
            {
                var learned = values.Where(v => v.IsLearned && levels[v.Id] == level).ToList();
                AddRegions(learned.Select(v => v.Inputs[0]));
                stages.AddRange(learned.Select(v => new FusedStage(null, v)));
            }
            AddRegions(fields.Where(f => !f.Alias).Select(f => f.Value));
            return new FusedLayerPlan(values, stages, fields);

            // One region per size for the computed values among these (leaves and learned results need none).
            void AddRegions(IEnumerable<int> wanted)
            {
                var computed = wanted.Distinct().Where(v => !values[v].IsInput).ToList();
                foreach (var bySize in computed.GroupBy(v => values[v].Size))
                {
                    var region = Region(regions.Count, bySize.Key, bySize.ToList(), values, plan, statements, reserved);
                    regions.Add(region);
                    stages.Add(new FusedStage(region, null));
                }
            }
        }

        private static FusedRegion Region(int index, string size, List<int> outputs, IReadOnlyList<BodyValue> values, LayerPlan plan,
            IReadOnlyList<string> statements, IReadOnlyCollection<string> reserved)
        {
            // The cone of the outputs, stopping at the region's inputs.
            var inCone = new HashSet<int>();
            var stack = new Stack<int>(outputs);
            while (stack.Count > 0)
            {
                int v = stack.Pop();
                if (!inCone.Add(v) || values[v].IsInput) continue;
                foreach (int input in values[v].Inputs) stack.Push(input);
            }
            var program = inCone.Where(v => !values[v].IsInput && values[v].Op != Op.Constant).OrderBy(v => v).ToList();
            var inputValues = inCone.Where(v => values[v].IsInput).OrderBy(v => v).ToList();

            var arguments = new List<RegionArgument>();
            var inputs = new List<RegionInput>();
            foreach (int v in inputValues)
            {
                BodyValue value = values[v];
                RegionArgument argument = value.Op == Op.Gate ? RegionArgument.Projection : new RegionArgument(v);
                int position = arguments.IndexOf(argument);
                if (position < 0)
                {
                    position = arguments.Count;
                    arguments.Add(argument);
                }
                int gate = value.Op == Op.Gate ? plan.Gates.First(g => g.Name == value.Name).Index : -1;
                inputs.Add(new RegionInput(v, position, gate));
            }

            var names = VariableNames(values, inCone, reserved);
            var forward = ForwardCode(values, inputValues, outputs, program, names, statements);
            var backward = Derivatives.Backward(values, inputValues, outputs, program, names, statements, reserved);
            return new FusedRegion(index, size, arguments, inputs, outputs, forward, backward);
        }

        /// <summary>The forward kernel: inputs in the first slots, outputs next, then temporaries.</summary>
        private static KernelCode ForwardCode(IReadOnlyList<BodyValue> values, List<int> inputs, List<int> outputs, List<int> program,
            Dictionary<int, string> names, IReadOnlyList<string> statements)
        {
            var kernel = new KernelWriter(values, names, statements, inputs.Count + outputs.Count);
            for (int i = 0; i < inputs.Count; i++) kernel.Declare(inputs[i], i);
            for (int o = 0; o < outputs.Count; o++) kernel.Declare(outputs[o], inputs.Count + o);
            kernel.Compute(program, keep: outputs.Contains, commentPrefix: "");
            return kernel.Code();
        }

        /// <summary>
        /// Writes one kernel pass: its span variables (a value or an adjoint in a slot) and its steps. Temporaries are
        /// taken lowest first when a value is computed and given back after its last use, so a destination may be one of
        /// its operands' slots; numbers are spans filled once per block, before their first use.
        /// </summary>
        internal sealed class KernelWriter
        {
            private readonly IReadOnlyList<BodyValue> _values;
            private readonly Dictionary<int, string> _names;
            private readonly IReadOnlyList<string> _statements;
            private readonly List<KernelVariable> _variables = new();
            private readonly Dictionary<int, int> _slotOf = new();

            public KernelWriter(IReadOnlyList<BodyValue> values, Dictionary<int, string> names, IReadOnlyList<string> statements,
                int firstTemporary)
            {
                _values = values;
                _names = names;
                _statements = statements;
                Slots = new Slots(firstTemporary);
            }

            public Slots Slots { get; }

            public List<KernelStep> Steps { get; } = new();

            /// <summary>A span variable for a value (named as the value) in a slot.</summary>
            public void Declare(int value, int slot)
            {
                _slotOf[value] = slot;
                _variables.Add(new KernelVariable(_names[value], slot));
            }

            /// <summary>A span variable of another name (an adjoint) in a slot.</summary>
            public void Declare(string name, int slot) => _variables.Add(new KernelVariable(name, slot));

            /// <summary>A temporary filled with a number of the body.</summary>
            public void Fill(int number, string? comment)
            {
                Declare(number, Slots.Take());
                Steps.Add(new KernelStep("Fill", new[] { LayerPrinter.Literal(_values[number].Constant) }, _names[number], null, comment));
            }

            /// <summary>
            /// Steps that compute <paramref name="program"/> in order, each group under its statement (after
            /// <paramref name="commentPrefix"/>). A value already declared is computed into its slot; an operand's
            /// temporary is given back after its last use unless <paramref name="keep"/> says it is needed later.
            /// </summary>
            public void Compute(IReadOnlyList<int> program, Func<int, bool> keep, string commentPrefix)
            {
                var lastUse = new Dictionary<int, int>();
                for (int p = 0; p < program.Count; p++)
                    foreach (int input in _values[program[p]].Inputs)
                        lastUse[input] = p;
                int statement = -1;
                for (int p = 0; p < program.Count; p++)
                {
                    BodyValue value = _values[program[p]];
                    string? comment = null;
                    if (value.Statement != statement)
                    {
                        statement = value.Statement;
                        comment = commentPrefix + _statements[statement];
                    }
                    foreach (int number in value.Inputs.Distinct().Where(i => _values[i].Op == Op.Constant && !_slotOf.ContainsKey(i)))
                    {
                        Fill(number, comment);
                        comment = null;
                    }
                    foreach (int input in value.Inputs.Distinct())
                        if (lastUse[input] == p && Slots.IsTemporary(_slotOf[input]) && !keep(input))
                            Slots.Give(_slotOf[input]);
                    if (!_slotOf.ContainsKey(value.Id)) Declare(value.Id, Slots.Take());
                    Steps.Add(new KernelStep(Function(value.Op), value.Inputs.Select(i => _names[i]).ToList(), _names[value.Id], null,
                        comment));
                }
            }

            public KernelCode Code() => new(_variables, Steps, Slots.Temporaries);
        }

        /// <summary>The FusedMath function of an elementwise operation.</summary>
        public static string Function(Op op) => op switch
        {
            Op.Add => "Add",
            Op.Subtract => "Subtract",
            Op.Multiply => "Multiply",
            Op.Divide => "Divide",
            Op.Negate => "Negate",
            Op.AddProduct => "AddProduct",
            Op.Sigmoid => "Sigmoid",
            Op.Tanh => "Tanh",
            Op.Relu => "Relu",
            Op.Max => "Max",
            Op.Min => "Min",
            _ => throw new InvalidOperationException($"No fused kernel computes {op}"),
        };

        /// <summary>
        /// A readable variable name for each value of a region: the gate, local or learned operation's name, the field
        /// as leftC, an activation of a named value as sigmoidI, numbers as one, half, ...; other values t, t2, ...
        /// </summary>
        private static Dictionary<int, string> VariableNames(IReadOnlyList<BodyValue> values, HashSet<int> cone,
            IReadOnlyCollection<string> reserved)
        {
            var scope = new NameScope(reserved);
            foreach (string name in KernelNames) scope.Claim(name);
            var names = new Dictionary<int, string>();
            foreach (int v in cone.OrderBy(v => v))
                names[v] = scope.Claim(Preferred(values[v]));
            return names;

            string Preferred(BodyValue value)
            {
                if ((value.Local ?? (value.IsInput ? null : value.Returned)) is { } local) return local;
                switch (value.Op)
                {
                    case Op.Gate or Op.Linear or Op.LayerNorm:
                        return value.Name;
                    case Op.Field:
                        return value.Name + Pascal(value.Field);
                    case Op.Constant:
                        return NumberName(value.Constant);
                    case Op.Sigmoid or Op.Tanh or Op.Relu or Op.Negate
                        when values[value.Inputs[0]] is { } operand && (operand.Local is not null || operand.IsInput):
                        return Function(value.Op).ToLowerInvariant() + Pascal(Preferred(operand));
                    default:
                        return "t";
                }
            }
        }

        private static string NumberName(double value) => value switch
        {
            1.0 => "one",
            2.0 => "two",
            0.5 => "half",
            -1.0 => "minusOne",
            0.0 => "zero",
            _ => "number",
        };

        public static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

        /// <summary>The temporary slots of one kernel pass: taken lowest first, given back for reuse.</summary>
        internal sealed class Slots
        {
            private readonly int _first;
            private readonly SortedSet<int> _free = new();

            public Slots(int first)
            {
                _first = first;
                Next = first;
            }

            public int Next { get; private set; }

            public int Temporaries => Next - _first;

            public bool IsTemporary(int slot) => slot >= _first;

            public int Take()
            {
                if (_free.Count == 0) return Next++;
                int slot = _free.Min;
                _free.Remove(slot);
                return slot;
            }

            public void Give(int slot) => _free.Add(slot);
        }

        /// <summary>Turns plan trees into single-assignment values: leaves and numbers once each, locals once each.</summary>
        private sealed class ValueBuilder
        {
            private readonly Dictionary<string, int> _leaves = new();

            public List<BodyValue> Values { get; } = new();

            public int Add(Node node, IReadOnlyDictionary<string, int> locals, int statement)
            {
                switch (node.Op)
                {
                    case Op.Local:
                        return locals[node.Name];
                    case Op.Gate or Op.Field or Op.Constant:
                        {
                            string number = node.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                            string key = node.Op + ":" + node.Name + "." + node.Field + ":" + number;
                            if (_leaves.TryGetValue(key, out int leaf)) return leaf;
                            int id = New(node, new int[0], statement);
                            _leaves[key] = id;
                            return id;
                        }
                    default:
                        {
                            var inputs = node.Inputs.Select(i => Add(i, locals, statement)).ToArray();
                            return New(node, inputs, statement);
                        }
                }
            }

            private int New(Node node, int[] inputs, int statement)
            {
                var value = new BodyValue(Values.Count, node.Op, inputs, node.Size, statement)
                {
                    Constant = node.Value,
                    Name = node.Name,
                    Field = node.Field,
                };
                Values.Add(value);
                return value.Id;
            }
        }
    }
}
