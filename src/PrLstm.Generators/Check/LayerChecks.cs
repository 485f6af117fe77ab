using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Check
{
    /// <summary>
    /// The model-level checks of a layer: sizes of every subexpression, assigned fields, unused gates, and the gate
    /// source of a parameter-free projection. Pure: a function of the parsed records only. The result carries the
    /// size of every expression, so that no later stage infers a size again.
    /// </summary>
    internal static class LayerChecks
    {
        public static Result<CheckedLayer?> Check(ParsedLayer parsed)
        {
            var diagnostics = parsed.Diagnostics.ToList();
            LayerSpec? spec = parsed.Spec;
            if (spec is null)
                return new Result<CheckedLayer?>(null, diagnostics.ToEquatableArray());

            var checker = new SizeChecker(spec, parsed.Locations, diagnostics);
            foreach (LocalSpec local in spec.Locals)
                checker.Local(local);

            var assigned = new HashSet<string>();
            foreach (AssignmentSpec assignment in spec.Result)
            {
                assigned.Add(assignment.Field);
                string? size = checker.SizeOf(assignment.Value);
                FieldSpec field = spec.State.Field(assignment.Field)!;
                if (size is not null && size != field.Size)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FieldSizeMismatch, checker.Location(assignment.Value),
                        spec.Owner,
                        spec.State.Type.Name, field.Name, field.Size, size == Sizes.Scalar ? "1 (a constant)" : size));
            }
            foreach (FieldSpec field in spec.State.Fields)
                if (!assigned.Contains(field.Name))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FieldUnassigned, parsed.Locations.Result
                        ?? parsed.Locations.Method, spec.Owner, spec.State.Type.Name, field.Name));

            var used = new HashSet<string>(BodyExpressions(spec).SelectMany(Walk).OfType<GateRef>().Select(g => g.Gate));
            for (int g = 0; g < spec.Gates.Count; g++)
                if (!used.Contains(spec.Gates[g].Name))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnusedGate, parsed.Locations.Gates[g], spec.Gates[g].Name,
                        spec.Type.Name));

            if (spec.Projection == ProjectionKind.Identity && spec.Kind != LayerKind.Encoder)
            {
                var source = GateSourceSizes(spec);
                var needed = spec.Gates.Select(g => g.Size).ToList();
                if (!Sizes.SameSum(source, needed))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GateSourceSizeMismatch, parsed.Locations.Attribute,
                        GateSourceText(spec), spec.Type.Name,
                        source.Count == 0 ? "0" : Sizes.Format(source), needed.Count == 0 ? "0" : Sizes.Format(needed)));
            }

            bool ok = !diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            var checkedLayer = ok ? new CheckedLayer(spec, checker.Sizes.Select(s => s ?? Sizes.Scalar).ToEquatableArray()) : null;
            return new Result<CheckedLayer?>(checkedLayer, diagnostics.ToEquatableArray());
        }

        /// <summary>Why a layer is not generated, for the model that uses it (PRL1014), or null when it is.</summary>
        public static string? Problem(ParsedLayer parsed, Result<CheckedLayer?> result)
        {
            if (result.Value is not null) return null;
            if (parsed.CompilerError is { } error) return "has a C# error in its body, " + error;
            var first = result.Diagnostics.FirstOrDefault(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            return first is null ? "uses a state with errors" : "has errors (" + first.Descriptor.Id + " first)";
        }

        /// <summary>The size parameters a layer's constructor takes: state field sizes, then gate sizes.</summary>
        public static EquatableArray<string> LayerSizes(LayerSpec spec) =>
            Sizes.Distinct(spec.State.Fields.Select(f => f.Size).Concat(spec.Gates.Select(g => g.Size))).ToEquatableArray();

        /// <summary>Sizes of the gate source, child by child: [left.h ; right.h] is [H, H].</summary>
        public static List<string> GateSourceSizes(LayerSpec spec) =>
            spec.StateParameters.SelectMany(_ => spec.GatesFrom.Select(f => spec.State.Field(f)!.Size)).ToList();

        /// <summary>The gate source as written in comments and messages, e.g. "[left.h ; right.h]".</summary>
        public static string GateSourceText(LayerSpec spec) => spec.Kind == LayerKind.Encoder
            ? "[x]"
            : "[" + string.Join(" ; ", spec.StateParameters.SelectMany(p => spec.GatesFrom.Select(f => p + "." + f))) + "]";

        /// <summary>The locals' values, then the fields' values, in body order.</summary>
        public static IEnumerable<Expr> BodyExpressions(LayerSpec spec) =>
            spec.Locals.Select(l => l.Value).Concat(spec.Result.Select(r => r.Value));

        /// <summary>Every node of an expression tree, the root first.</summary>
        public static IEnumerable<Expr> Walk(Expr expr) => Trees.PreOrder<Expr>(expr, node => node switch
        {
            Negate n => new[] { n.Operand },
            LearnedOp p => new[] { p.Input },
            Binary b => new[] { b.Left, b.Right },
            Call c => c.Arguments,
            _ => Array.Empty<Expr>(),
        });

        /// <summary>Computes sizes bottom-up, records each, and reports each mismatch once, at the operator.</summary>
        private sealed class SizeChecker
        {
            private readonly LayerSpec _spec;
            private readonly LayerLocations _locations;
            private readonly List<DiagnosticInfo> _diagnostics;
            private readonly Dictionary<string, string?> _locals = new();

            public SizeChecker(LayerSpec spec, LayerLocations locations, List<DiagnosticInfo> diagnostics)
            {
                _spec = spec;
                _locations = locations;
                _diagnostics = diagnostics;
                Sizes = new string?[locations.Expressions.Count];
            }

            /// <summary>The size of each expression by id; null after a reported error.</summary>
            public string?[] Sizes { get; }

            public LocationInfo? Location(Expr expr) => expr.Id < _locations.Expressions.Count ? _locations.Expressions[expr.Id] : null;

            public void Local(LocalSpec local) => _locals[local.Name] = SizeOf(local.Value);

            /// <summary>The size name, <see cref="Generators.Check.Sizes.Scalar"/> for numbers, or null after a reported error.</summary>
            public string? SizeOf(Expr expr)
            {
                string? size = Compute(expr);
                if (expr.Id < Sizes.Length) Sizes[expr.Id] = size;
                return size;
            }

            private string? Compute(Expr expr)
            {
                switch (expr)
                {
                    case Constant:
                        return Generators.Check.Sizes.Scalar;
                    case GateRef gate:
                        return _spec.Gates.First(g => g.Name == gate.Gate).Size;
                    case FieldRef field:
                        return _spec.State.Field(field.Field)!.Size;
                    case LocalRef local:
                        return _locals.TryGetValue(local.Name, out string? size) ? size : null;
                    case Negate negate:
                        return SizeOf(negate.Operand);
                    case LearnedOp learned:
                        {
                            string? inputSize = SizeOf(learned.Input);
                            if (inputSize == Generators.Check.Sizes.Scalar)
                            {
                                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidProjection, Location(learned),
                                    DslFunctions.Of(learned.Op).Name, learned.Name, _spec.Owner, "is applied to a constant; apply it to a "
                                        + "vector"));
                                return null;
                            }
                            return inputSize;
                        }
                    case Binary binary:
                        return Combine(Symbol(binary.Op), SizeOf(binary.Left), SizeOf(binary.Right), binary);
                    case Call call:
                        {
                            var sizes = call.Arguments.Select(SizeOf).ToList();
                            if (sizes.Any(s => s is null)) return null;
                            string? result = sizes[0];
                            for (int i = 1; i < sizes.Count; i++)
                                result = Combine(DslFunctions.Of(call.Op).Name, result, sizes[i], call);
                            return result;
                        }
                    default:
                        return null;
                }
            }

            private static string Symbol(Op op) => op switch { Op.Add => "+", Op.Subtract => "-", Op.Multiply => "*", _ => "/" };

            private string? Combine(string op, string? left, string? right, Expr at)
            {
                if (left is null || right is null) return null;
                if (left == Generators.Check.Sizes.Scalar) return right;
                if (right == Generators.Check.Sizes.Scalar || left == right) return left;
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeMismatch, Location(at), op, _spec.Owner, left, right));
                return null;
            }
        }
    }
}
