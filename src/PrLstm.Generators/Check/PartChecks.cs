using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Check
{
    /// <summary>
    /// The model-level checks of a part: sizes of every subexpression, assigned fields, unused gates, and the
    /// gate source of a parameter-free projection. Pure: a function of the parsed records only.
    /// </summary>
    internal static class PartChecks
    {
        /// <summary>The size of a scalar (constant) expression.</summary>
        private const string Scalar = "";

        public static Result<PartSpec?> Check(ParsedPart parsed)
        {
            var diagnostics = parsed.Diagnostics.ToList();
            PartSpec? spec = parsed.Spec;
            if (spec is null)
                return new Result<PartSpec?>(null, diagnostics.ToEquatableArray());

            var checker = new SizeChecker(spec, parsed.Locations, diagnostics);
            var localSizes = new Dictionary<string, string?>();
            foreach (LocalSpec local in spec.Locals)
                localSizes[local.Name] = checker.SizeOf(local.Value, localSizes);

            var assigned = new HashSet<string>();
            foreach (AssignmentSpec assignment in spec.Result)
            {
                assigned.Add(assignment.Field);
                string? size = checker.SizeOf(assignment.Value, localSizes);
                FieldSpec field = spec.State.Field(assignment.Field)!;
                if (size is not null && size != field.Size)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FieldSizeMismatch, checker.Location(assignment.Value), spec.Type.Name + "." + spec.MethodName,
                        spec.State.Type.Name, field.Name, field.Size, size == Scalar ? "1 (a constant)" : size));
            }
            foreach (FieldSpec field in spec.State.Fields)
                if (!assigned.Contains(field.Name))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FieldUnassigned, parsed.Locations.Result ?? parsed.Locations.Method, spec.Type.Name + "." + spec.MethodName, spec.State.Type.Name, field.Name));

            var used = new HashSet<string>(spec.Locals.Select(l => l.Value).Concat(spec.Result.Select(r => r.Value)).SelectMany(Walk).OfType<GateRef>().Select(g => g.Gate));
            for (int g = 0; g < spec.Gates.Count; g++)
                if (!used.Contains(spec.Gates[g].Name))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnusedGate, parsed.Locations.Gates[g], spec.Gates[g].Name, spec.Type.Name));

            if (spec.Projection == ProjectionKind.Identity && spec.Kind != PartKind.Encoder)
            {
                var source = GateSourceSizes(spec);
                var needed = spec.Gates.Select(g => g.Size).ToList();
                if (!Sizes.SameSum(source, needed))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GateSourceSizeMismatch, parsed.Locations.Attribute, GateSourceText(spec), spec.Type.Name,
                        source.Count == 0 ? "0" : Sizes.Format(source), needed.Count == 0 ? "0" : Sizes.Format(needed)));
            }

            bool ok = !diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            return new Result<PartSpec?>(ok ? spec : null, diagnostics.ToEquatableArray());
        }

        /// <summary>The size of each local of a checked part (null for constants).</summary>
        public static Dictionary<string, string?> LocalSizes(PartSpec spec)
        {
            var checker = new SizeChecker(spec, null, null);
            var sizes = new Dictionary<string, string?>();
            foreach (LocalSpec local in spec.Locals)
            {
                string? size = checker.SizeOf(local.Value, sizes);
                sizes[local.Name] = size == Scalar ? null : size;
            }
            return sizes;
        }

        /// <summary>Every Linear(...) projection of a checked part, in body order, with the size it maps (square).</summary>
        public static List<(Projection Projection, string Size)> Projections(PartSpec spec)
        {
            var checker = new SizeChecker(spec, null, null);
            var localSizes = new Dictionary<string, string?>();
            foreach (LocalSpec local in spec.Locals)
                localSizes[local.Name] = checker.SizeOf(local.Value, localSizes);
            return spec.Locals.Select(l => l.Value).Concat(spec.Result.Select(r => r.Value))
                .SelectMany(Walk).OfType<Projection>()
                .Select(p => (p, checker.SizeOf(p.Input, localSizes)!))
                .ToList();
        }

        /// <summary>Sizes of the gate source, child by child: [left.h ; right.h] is [H, H].</summary>
        public static List<string> GateSourceSizes(PartSpec spec) =>
            spec.StateParameters.SelectMany(_ => spec.GatesFrom.Select(f => spec.State.Field(f)!.Size)).ToList();

        /// <summary>The gate source as written in comments and messages, e.g. "[left.h ; right.h]".</summary>
        public static string GateSourceText(PartSpec spec) => spec.Kind == PartKind.Encoder
            ? "[x]"
            : "[" + string.Join(" ; ", spec.StateParameters.SelectMany(p => spec.GatesFrom.Select(f => p + "." + f))) + "]";

        /// <summary>The size parameters a part's layer constructor takes: state field sizes, then gate sizes.</summary>
        public static EquatableArray<string> LayerSizes(PartSpec spec) =>
            Sizes.Distinct(spec.State.Fields.Select(f => f.Size).Concat(spec.Gates.Select(g => g.Size))).ToEquatableArray();

        /// <summary>Every node of an expression tree, the root first.</summary>
        public static IEnumerable<Expr> Walk(Expr expr)
        {
            yield return expr;
            IEnumerable<Expr> children = expr switch
            {
                Negate n => new[] { n.Operand },
                Projection p => new[] { p.Input },
                Binary b => new[] { b.Left, b.Right },
                Call c => c.Arguments,
                _ => Enumerable.Empty<Expr>(),
            };
            foreach (Expr child in children)
                foreach (Expr node in Walk(child))
                    yield return node;
        }

        /// <summary>Computes sizes bottom-up and reports each mismatch once, at the operator.</summary>
        private sealed class SizeChecker
        {
            private readonly PartSpec _spec;
            private readonly PartLocations? _locations;
            private readonly List<DiagnosticInfo>? _diagnostics;

            /// <param name="diagnostics">Where to report mismatches; null to only compute sizes.</param>
            public SizeChecker(PartSpec spec, PartLocations? locations, List<DiagnosticInfo>? diagnostics)
            {
                _spec = spec;
                _locations = locations;
                _diagnostics = diagnostics;
            }

            public LocationInfo? Location(Expr expr) => _locations is not null && expr.Id < _locations.Expressions.Count ? _locations.Expressions[expr.Id] : null;

            /// <summary>The size name, <see cref="Scalar"/> for constants, or null after a reported error.</summary>
            public string? SizeOf(Expr expr, Dictionary<string, string?> locals)
            {
                switch (expr)
                {
                    case Constant:
                        return Scalar;
                    case GateRef gate:
                        return _spec.Gates.First(g => g.Name == gate.Gate).Size;
                    case FieldRef field:
                        return _spec.State.Field(field.Field)!.Size;
                    case LocalRef local:
                        return locals.TryGetValue(local.Name, out string? size) ? size : null;
                    case Negate negate:
                        return SizeOf(negate.Operand, locals);
                    case Projection projection:
                    {
                        string? inputSize = SizeOf(projection.Input, locals);
                        if (inputSize == Scalar)
                        {
                            _diagnostics?.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidProjection, Location(projection), projection.Kind, projection.Name, _spec.Type.Name + "." + _spec.MethodName, "is applied to a constant; apply it to a vector"));
                            return null;
                        }
                        return inputSize;
                    }
                    case Binary binary:
                        return Combine(binary.Operator, SizeOf(binary.Left, locals), SizeOf(binary.Right, locals), binary);
                    case Call call:
                    {
                        var sizes = call.Arguments.Select(a => SizeOf(a, locals)).ToList();
                        if (sizes.Any(s => s is null)) return null;
                        string? result = sizes[0];
                        for (int i = 1; i < sizes.Count; i++)
                            result = Combine(call.Function, result, sizes[i], call);
                        return result;
                    }
                    default:
                        return null;
                }
            }

            private string? Combine(string op, string? left, string? right, Expr at)
            {
                if (left is null || right is null) return null;
                if (left == Scalar) return right;
                if (right == Scalar || left == right) return left;
                _diagnostics?.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SizeMismatch, Location(at), op, _spec.Type.Name + "." + _spec.MethodName, left, right));
                return null;
            }
        }
    }
}
