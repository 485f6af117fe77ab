using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Parse
{
    /// <summary>Reads a [TokenEncoder], [CompositionBlock] or [RefinementBlock] class into a <see cref="ParsedPart"/>.</summary>
    internal static class PartParser
    {
        public static string MethodName(PartKind kind) => kind switch
        {
            PartKind.Encoder => "Encode",
            PartKind.Block => "Compose",
            _ => "Refine",
        };

        public static int StateArity(PartKind kind) => kind switch
        {
            PartKind.Encoder => 0,
            PartKind.Block => 2,
            _ => 1,
        };

        public static string KindName(PartKind kind) => kind switch
        {
            PartKind.Encoder => "token encoder",
            PartKind.Block => "composition block",
            _ => "refinement block",
        };

        public static ParsedPart Parse(INamedTypeSymbol type, AttributeData attribute, PartKind kind, SemanticModel semanticModel, CancellationToken cancellationToken)
        {
            var known = new KnownTypes(semanticModel.Compilation);
            var diagnostics = new List<DiagnosticInfo>();
            string typeName = Declarations.FullName(type);
            LocationInfo? typeLocation = LocationInfo.From(type.Locations.FirstOrDefault());
            LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            var emptyLocations = new PartLocations(typeLocation, null, attributeLocation, null, EquatableArray<LocationInfo?>.Empty, EquatableArray<LocationInfo?>.Empty);
            ParsedPart Failed() => new(null, emptyLocations, diagnostics.ToEquatableArray()) { Kind = kind, TypeName = typeName };

            if (!Declarations.CheckShape(type, "its TorchSharp Layer class", diagnostics))
                return Failed();

            // The one method that defines the part.
            string methodName = MethodName(kind);
            var candidates = type.GetMembers(methodName).OfType<IMethodSymbol>().ToList();
            IMethodSymbol? method = candidates.Count == 1 && candidates[0].IsStatic && candidates[0].DeclaredAccessibility == Accessibility.Public && !candidates[0].IsGenericMethod ? candidates[0] : null;
            var syntax = method?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
            if (method is null || syntax is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingMethod, typeLocation, type.Name, methodName));
                return Failed();
            }
            string owner = type.Name + "." + methodName;
            var methodLocation = LocationInfo.From(syntax.Identifier);

            // Parameters: states first, then Vec gates.
            var stateParameters = method.Parameters.TakeWhile(p => !known.IsVec(p.Type)).ToList();
            var gateParameters = method.Parameters.Skip(stateParameters.Count).ToList();
            IParameterSymbol? misplaced = gateParameters.FirstOrDefault(p => !known.IsVec(p.Type));
            if (stateParameters.Count != StateArity(kind) || misplaced is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongArity, LocationInfo.From(syntax.ParameterList), owner,
                    (misplaced is null ? stateParameters.Count : stateParameters.Count + 1).ToString(), KindName(kind), StateArity(kind).ToString()));
                return Failed();
            }

            // The state: the encoder's return type, the children's type otherwise.
            ITypeSymbol stateType = kind == PartKind.Encoder ? method.ReturnType : stateParameters[0].Type;
            string stateRole = kind == PartKind.Encoder ? "The return type" : "Parameter '" + stateParameters[0].Name + "'";
            if (stateType is not INamedTypeSymbol stateSymbol || !KnownTypes.HasAttribute(stateSymbol, KnownTypes.StateAttribute))
            {
                var where = kind == PartKind.Encoder ? LocationInfo.From(syntax.ReturnType) : LocationInfo.From(syntax.ParameterList.Parameters[0].Type);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAState, where, stateRole, owner, Declarations.DisplayName(stateType)));
                return Failed();
            }
            if (kind == PartKind.Block && !SymbolEqualityComparer.Default.Equals(stateParameters[1].Type, stateType))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChildStateMismatch, LocationInfo.From(syntax.ParameterList.Parameters[1].Type), owner, Declarations.DisplayName(stateType), Declarations.DisplayName(stateParameters[1].Type)));
                return Failed();
            }
            if (kind != PartKind.Encoder && !SymbolEqualityComparer.Default.Equals(method.ReturnType, stateType))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongReturnType, LocationInfo.From(syntax.ReturnType), owner, Declarations.DisplayName(stateType), Declarations.DisplayName(method.ReturnType)));
                return Failed();
            }
            StateSpec? state = StateParser.Parse(stateSymbol, known).Value;
            if (state is null)
                return Failed(); // The state's own diagnostics say why.

            cancellationToken.ThrowIfCancellationRequested();

            // Gates and their sizes.
            string? defaultGateSize = Declarations.NamedArgument<string>(attribute, "GateSize");
            var distinctFieldSizes = state.Fields.Select(f => f.Size).Distinct().ToList();
            var gates = new List<GateSpec>();
            var gateLocations = new List<LocationInfo?>();
            for (int g = 0; g < gateParameters.Count; g++)
            {
                IParameterSymbol gate = gateParameters[g];
                var location = LocationInfo.From(syntax.ParameterList.Parameters[stateParameters.Count + g].Identifier);
                string? size = Declarations.SizeOf(gate) ?? defaultGateSize ?? (distinctFieldSizes.Count == 1 ? distinctFieldSizes[0] : null);
                if (size is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GateSizeUnknown, location, gate.Name, owner, string.Join(", ", state.Fields.Select(f => f.Name + ": " + f.Size))));
                    continue;
                }
                if (Declarations.SizeNameProblem(size) is { } problem)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSizeName, location, size, owner + " gate '" + gate.Name + "'", problem));
                    continue;
                }
                gates.Add(new GateSpec(gate.Name, size));
                gateLocations.Add(location);
            }

            // Which fields feed the gates (blocks and refinements only; an encoder reads the token).
            var gatesFrom = new List<string>();
            if (kind != PartKind.Encoder)
            {
                string? declared = Declarations.NamedArgument<string>(attribute, "GatesFrom");
                if (string.IsNullOrWhiteSpace(declared))
                {
                    if (state.Fields.Count == 1) gatesFrom.Add(state.Fields[0].Name);
                    else if (gates.Count > 0)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingGateSource, attributeLocation, type.Name, state.Type.Name, string.Join(", ", state.Fields.Select(f => f.Name)), state.OutputField));
                }
                else
                {
                    foreach (string name in declared!.Split(',').Select(n => n.Trim()))
                    {
                        if (state.Field(name) is null)
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownGateSource, attributeLocation, type.Name, name, state.Type.Name, string.Join(", ", state.Fields.Select(f => f.Name))));
                        else
                            gatesFrom.Add(name);
                    }
                }
            }
            var projection = (ProjectionKind)Declarations.NamedArgument<int>(attribute, "Projection");
            if (projection is not (ProjectionKind.Linear or ProjectionKind.Identity))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation, "Projection", type.Name, ((int)projection).ToString(), "GateProjection.Linear or GateProjection.Identity"));

            // The body.
            var body = new BodyParser(semanticModel, known, owner, gates.Select(g => g.Name), stateParameters.Select(p => p.Name), state, diagnostics);
            body.Parse(syntax);

            var locations = new PartLocations(typeLocation, methodLocation, attributeLocation, body.ResultLocation, gateLocations.ToEquatableArray(), body.Locations.ToEquatableArray());
            bool ok = body.Ok && !diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            PartSpec? spec = ok
                ? new PartSpec(kind, Declarations.ToTypeRef(type), methodName, state, stateParameters.Select(p => p.Name).ToEquatableArray(), gates.ToEquatableArray(),
                    projection, gatesFrom.ToEquatableArray(), body.Locals.ToEquatableArray(), body.Result.ToEquatableArray(), Declarations.FullName(method.ReturnType))
                : null;
            return new ParsedPart(spec, locations, diagnostics.ToEquatableArray()) { Kind = kind, TypeName = typeName };
        }
    }
}
