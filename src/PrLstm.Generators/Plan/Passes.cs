using System;
using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Plan
{
    /// <summary>
    /// Builds a layer's plan: <see cref="Lower"/> turns the checked body into typed statements, then passes rewrite
    /// the plan for speed without changing a value: one addcmul for sum + a * b, named gate activations computed once
    /// per run of adjacent gates, and (without a gradient) operations that write into the temporaries they own.
    /// </summary>
    internal static class Passes
    {
        /// <summary>The plan of one forward path of a checked layer, every pass applied.</summary>
        public static LayerPlan Plan(CheckedLayer layer, bool inPlace)
        {
            LayerPlan plan = FuseAddProduct(Lower(layer, inPlace));
            plan = NameGateActivations(plan);
            return inPlace ? WriteInPlace(plan) : plan;
        }

        /// <summary>
        /// The body as statements of typed operations: Identity disappears, every number is folded into one constant
        /// (a local that holds a number becomes no statement), each field reads its own tensor.
        /// </summary>
        public static LayerPlan Lower(CheckedLayer layer, bool inPlace)
        {
            LayerSpec spec = layer.Spec;
            var numbers = new Dictionary<string, double>();
            var localValues = new Dictionary<string, Node>();
            var statements = new List<Statement>();
            foreach (LocalSpec local in spec.Locals)
            {
                if (layer.SizeOf(local.Value) == Sizes.Scalar)
                {
                    numbers[local.Name] = Evaluate(local.Value, numbers);
                    continue;
                }
                Node value = LowerExpr(local.Value);
                localValues[local.Name] = value;
                statements.Add(new Statement(StatementKind.Local, local.Name, value, local.Source));
            }

            var returnedNames = new HashSet<string>();
            foreach (FieldSpec field in spec.State.Fields)
            {
                AssignmentSpec assignment = spec.Result.First(r => r.Field == field.Name);
                Node value = LowerExpr(assignment.Value);
                bool alias = IsInputView(value) || (value.Op is Op.Local or Op.Gate && !returnedNames.Add(value.Name));
                statements.Add(new Statement(StatementKind.Field, field.Name, value, assignment.Source, alias));
            }

            var gates = spec.Gates.Select((g, i) => new GatePlan(g.Name, g.Size, i, ReadRaw: false, Activation: null)).ToEquatableArray();
            return WithRawReads(new LayerPlan(layer, inPlace, gates, EquatableArray<ActivationRun>.Empty, ActivateAllInPlace: false,
                statements.ToEquatableArray()));

            Node LowerExpr(Expr expr)
            {
                string size = layer.SizeOf(expr);
                if (size == Sizes.Scalar)
                    return Node.Leaf(Op.Constant, size) with { Value = Evaluate(expr, numbers) };
                switch (expr)
                {
                    case GateRef gate:
                        return Node.Leaf(Op.Gate, size) with { Name = gate.Gate };
                    case FieldRef field:
                        return Node.Leaf(Op.Field, size) with { Name = field.Parameter, Field = field.Field };
                    case LocalRef local:
                        return Node.Leaf(Op.Local, size) with { Name = local.Name };
                    case Negate negate:
                        return Node.Operation(Op.Negate, size, LowerExpr(negate.Operand));
                    case Binary binary:
                        return Node.Operation(binary.Op, size, LowerExpr(binary.Left), LowerExpr(binary.Right));
                    case Call { Op: Op.Identity } identity:
                        return LowerExpr(identity.Arguments[0]);
                    case Call call:
                        return Node.Operation(call.Op, size, call.Arguments.Select(LowerExpr).ToArray());
                    case LearnedOp learned:
                        return Node.Operation(learned.Op, size, LowerExpr(learned.Input)) with { Name = learned.Name, Bias = learned.Bias };
                    default:
                        throw new InvalidOperationException("A checked body holds no " + expr.GetType().Name);
                }
            }

            // Through locals, nothing but a field of a state parameter: the caller's tensor.
            bool IsInputView(Node node) => node.Op switch
            {
                Op.Field => true,
                Op.Local => localValues.TryGetValue(node.Name, out var value) && IsInputView(value),
                _ => false,
            };
        }

        /// <summary>The value of an expression of numbers, as C# computes it at run time (IEEE double).</summary>
        private static double Evaluate(Expr expr, IReadOnlyDictionary<string, double> numbers) => expr switch
        {
            Constant constant => constant.Value,
            LocalRef local => numbers[local.Name],
            Negate negate => -Evaluate(negate.Operand, numbers),
            Binary { Op: Op.Add } b => Evaluate(b.Left, numbers) + Evaluate(b.Right, numbers),
            Binary { Op: Op.Subtract } b => Evaluate(b.Left, numbers) - Evaluate(b.Right, numbers),
            Binary { Op: Op.Multiply } b => Evaluate(b.Left, numbers) * Evaluate(b.Right, numbers),
            Binary { Op: Op.Divide } b => Evaluate(b.Left, numbers) / Evaluate(b.Right, numbers),
            Call { Op: Op.Identity } call => Evaluate(call.Arguments[0], numbers),
            _ => throw new InvalidOperationException("Not an expression of numbers: " + expr.GetType().Name),
        };

        /// <summary>sum + a * b (or a * b + sum), all three tensors, becomes AddProduct(sum, a, b): one pass, one tensor.</summary>
        public static LayerPlan FuseAddProduct(LayerPlan plan) => plan with
        {
            Statements = plan.Statements.Select(s => s with { Value = Rewrite(s.Value, Fuse) }).ToEquatableArray(),
        };

        private static Node Fuse(Node node)
        {
            if (node.Op != Op.Add) return node;
            Node left = node.Inputs[0], right = node.Inputs[1];
            if (IsTensorProduct(right) && !left.IsScalar)
                return Node.Operation(Op.AddProduct, node.Size, left, right.Inputs[0], right.Inputs[1]);
            if (IsTensorProduct(left) && !right.IsScalar)
                return Node.Operation(Op.AddProduct, node.Size, right, left.Inputs[0], left.Inputs[1]);
            return node;

            // addcmul takes no numbers.
            static bool IsTensorProduct(Node n) => n.Op == Op.Multiply && !n.Inputs[0].IsScalar && !n.Inputs[1].IsScalar;
        }

        /// <summary>
        /// Gates the body reads only as Sigmoid(gate) (or only as Tanh(gate)), never as the whole value of a local or a
        /// field (a field must not be a view of a shared tensor), get their activation as a named local. Without a
        /// gradient, when every gate is such a gate, the whole projection is activated in place; otherwise (and with a
        /// gradient) each run of at least two adjacent such gates is activated by one call over its part of the
        /// projection. Gates outside runs keep their activation inline.
        /// </summary>
        public static LayerPlan NameGateActivations(LayerPlan plan)
        {
            var activations = GateActivations(plan);
            var named = new Dictionary<string, Op>();
            bool allInPlace = plan.InPlace && plan.Spec.Projection == ProjectionKind.Linear && plan.Gates.Count > 0
                && plan.Gates.All(g => activations[g.Name] is not null);
            var runs = new List<ActivationRun>();
            if (allInPlace)
            {
                foreach (GatePlan gate in plan.Gates)
                    named[gate.Name] = activations[gate.Name]!.Value;
            }
            else
            {
                for (int start = 0; start < plan.Gates.Count;)
                {
                    Op? activation = activations[plan.Gates[start].Name];
                    int end = start + 1;
                    while (activation is not null && end < plan.Gates.Count && activations[plan.Gates[end].Name] == activation) end++;
                    if (activation is not null && end - start >= 2)
                    {
                        runs.Add(new ActivationRun(activation.Value, Enumerable.Range(start, end - start).ToEquatableArray()));
                        for (int g = start; g < end; g++) named[plan.Gates[g].Name] = activation.Value;
                    }
                    start = end;
                }
            }
            if (named.Count == 0) return plan;

            Node Replace(Node node) =>
                node.Op is Op.Sigmoid or Op.Tanh && node.Inputs[0].Op == Op.Gate
                    && named.TryGetValue(node.Inputs[0].Name, out var activation) && activation == node.Op
                    ? Node.Leaf(Op.GateActivation, node.Size) with { Name = node.Inputs[0].Name, Activation = node.Op }
                    : node;
            return WithRawReads(plan with
            {
                Gates = plan.Gates.Select(g => named.TryGetValue(g.Name, out var a) ? g with { Activation = a } : g).ToEquatableArray(),
                Runs = runs.ToEquatableArray(),
                ActivateAllInPlace = allInPlace,
                Statements = plan.Statements.Select(s => s with { Value = Rewrite(s.Value, Replace) }).ToEquatableArray(),
            });
        }

        /// <summary>Each gate's <see cref="GatePlan.ReadRaw"/>, from the statements: whether the gate itself is still read.</summary>
        private static LayerPlan WithRawReads(LayerPlan plan)
        {
            var raw = new HashSet<string>(plan.Statements.SelectMany(s => Walk(s.Value)).Where(n => n.Op == Op.Gate).Select(n => n.Name));
            return plan with { Gates = plan.Gates.Select(g => g with { ReadRaw = raw.Contains(g.Name) }).ToEquatableArray() };
        }

        /// <summary>For each gate, Sigmoid or Tanh when every use of it is that function of the gate alone and none of
        /// those calls is a statement's whole value; otherwise null.</summary>
        private static Dictionary<string, Op?> GateActivations(LayerPlan plan)
        {
            var nodes = plan.Statements.SelectMany(s => Walk(s.Value)).ToList();
            var wholeValues = new HashSet<Node>(plan.Statements.Select(s => s.Value), ReferenceEqualityComparer.Instance);
            var result = new Dictionary<string, Op?>();
            foreach (GatePlan gate in plan.Gates)
            {
                int uses = nodes.Count(n => n.Op == Op.Gate && n.Name == gate.Name);
                var calls = nodes.Where(n => n.Op is Op.Sigmoid or Op.Tanh && n.Inputs[0].Op == Op.Gate && n.Inputs[0].Name == gate.Name)
                    .ToList();
                bool single = uses > 0 && calls.Count == uses && !calls.Any(wholeValues.Contains) && calls.Select(c => c.Op).Distinct()
                    .Count() == 1;
                result[gate.Name] = single ? calls[0].Op : null;
            }
            return result;
        }

        /// <summary>
        /// For the path without a gradient: an operation whose operand is an owned temporary writes into it
        /// (add_, mul_, neg_, sigmoid_, addcmul_, ...) instead of allocating. Names (gates, fields, locals, activations)
        /// are never written to. + and * may take their owned operand from either side (both commute exactly).
        /// </summary>
        public static LayerPlan WriteInPlace(LayerPlan plan) => plan with
        {
            Statements = plan.Statements.Select(s => s with { Value = Rewrite(s.Value, InPlace) }).ToEquatableArray(),
        };

        private static Node InPlace(Node node)
        {
            bool OwnedTensor(int i) => node.Inputs.Count > i && node.Inputs[i].Owned && !node.Inputs[i].IsScalar;
            switch (node.Op)
            {
                case Op.Add or Op.Subtract or Op.Multiply or Op.Divide or Op.Negate or Op.Sigmoid or Op.Tanh or Op.Relu
                    or Op.AddProduct when OwnedTensor(0):
                    return node with { InPlace = true };
                case Op.Add or Op.Multiply when OwnedTensor(1):
                    return node with { Inputs = new[] { node.Inputs[1], node.Inputs[0] }.ToEquatableArray(), InPlace = true };
                case Op.Subtract when node.Inputs[0].IsScalar && OwnedTensor(1):
                    return node with { InPlace = true }; // c - t as t.neg_() + c
                default:
                    return node;
            }
        }

        /// <summary>Rebuilds a tree bottom-up, applying <paramref name="rewrite"/> to each node after its inputs.</summary>
        public static Node Rewrite(Node node, Func<Node, Node> rewrite)
        {
            if (node.Inputs.Count == 0) return rewrite(node);
            var inputs = node.Inputs.Select(i => Rewrite(i, rewrite)).ToEquatableArray();
            return rewrite(node with { Inputs = inputs });
        }

        /// <summary>Every node of a tree, the root first.</summary>
        public static IEnumerable<Node> Walk(Node node) => Trees.PreOrder(node, n => n.Inputs);

        private sealed class ReferenceEqualityComparer : IEqualityComparer<Node>
        {
            public static readonly ReferenceEqualityComparer Instance = new();
            public bool Equals(Node? x, Node? y) => ReferenceEquals(x, y);
            public int GetHashCode(Node obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
        }
    }
}
