using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Parse
{
    /// <summary>Reads a [TokenEncoder], [CompositionBlock] or [RefinementBlock] class into a <see cref="ParsedLayer"/>.</summary>
    internal static class LayerParser
    {
        public static ParsedLayer Parse(INamedTypeSymbol type, AttributeData attribute, LayerKind kind, SemanticModel semanticModel,
            CancellationToken cancellationToken)
        {
            LayerKindInfo info = LayerKinds.Of(kind);
            var known = new KnownTypes(semanticModel.Compilation);
            var diagnostics = new List<DiagnosticInfo>();
            string typeName = Declarations.FullName(type);
            LocationInfo? typeLocation = LocationInfo.From(type.Locations.FirstOrDefault());
            LocationInfo? attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));
            var emptyLocations = new LayerLocations(typeLocation, null, attributeLocation, null, EquatableArray<LocationInfo?>.Empty,
                EquatableArray<LocationInfo?>.Empty);
            ParsedLayer Failed(string? compilerError = null) =>
                new(null, emptyLocations, diagnostics.ToEquatableArray(), compilerError) { Kind = kind, TypeName = typeName };

            if (!Declarations.CheckShape(type, "its TorchSharp Layer class", diagnostics))
                return Failed();
            if (type.Name == Names.LayerClass)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, typeLocation, type.Name,
                    "named Layer, the name of the TorchSharp class the generator nests in it"));
                return Failed();
            }

            // The one method that defines the layer.
            string methodName = info.MethodName;
            var candidates = type.GetMembers(methodName).OfType<IMethodSymbol>().ToList();
            IMethodSymbol? method = candidates.Count == 1 && candidates[0].IsStatic
                && candidates[0].DeclaredAccessibility == Accessibility.Public && !candidates[0].IsGenericMethod ? candidates[0] : null;
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
            if (stateParameters.Count != info.StateArity || misplaced is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongArity, LocationInfo.From(syntax.ParameterList), owner,
                    (misplaced is null ? stateParameters.Count : stateParameters.Count + 1).ToString(), info.DisplayName,
                        info.StateArity.ToString()));
                return Failed();
            }

            // The state: the encoder's return type, the children's type otherwise.
            ITypeSymbol stateType = kind == LayerKind.Encoder ? method.ReturnType : stateParameters[0].Type;
            string stateRole = kind == LayerKind.Encoder ? "The return type" : "Parameter '" + stateParameters[0].Name + "'";
            if (stateType is not INamedTypeSymbol stateSymbol || !KnownTypes.HasAttribute(stateSymbol, KnownTypes.StateAttribute))
            {
                var where = kind == LayerKind.Encoder ? LocationInfo.From(syntax.ReturnType)
                    : LocationInfo.From(syntax.ParameterList.Parameters[0].Type);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAState, where, stateRole, owner,
                    Declarations.DisplayName(stateType)));
                return Failed();
            }
            if (kind == LayerKind.Block && !SymbolEqualityComparer.Default.Equals(stateParameters[1].Type, stateType))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChildStateMismatch,
                    LocationInfo.From(syntax.ParameterList.Parameters[1].Type), owner, Declarations.DisplayName(stateType),
                        Declarations.DisplayName(stateParameters[1].Type)));
                return Failed();
            }
            if (kind != LayerKind.Encoder && !SymbolEqualityComparer.Default.Equals(method.ReturnType, stateType))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongReturnType, LocationInfo.From(syntax.ReturnType), owner,
                    Declarations.DisplayName(stateType), Declarations.DisplayName(method.ReturnType)));
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
                string? size = Declarations.SizeOf(gate) ?? defaultGateSize
                    ?? (distinctFieldSizes.Count == 1 ? distinctFieldSizes[0] : null);
                if (size is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GateSizeUnknown, location, gate.Name, owner,
                        string.Join(", ", state.Fields.Select(f => f.Name + ": " + f.Size))));
                    continue;
                }
                if (Declarations.SizeNameProblem(size, known) is { } problem)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSizeName, location, size, owner + " gate '"
                        + gate.Name + "'", problem));
                    continue;
                }
                gates.Add(new GateSpec(gate.Name, size));
                gateLocations.Add(location);
            }

            // Which fields feed the gates (blocks and refinements only; an encoder reads the token).
            var gatesFrom = new List<string>();
            if (kind != LayerKind.Encoder)
            {
                string? declared = Declarations.NamedArgument<string>(attribute, "GatesFrom");
                if (declared is null && Declarations.HasNamedArgument(attribute, "GatesFrom"))
                {
                    // Set, but to something C# rejects (not a constant): C#'s own error says so; saying "set GatesFrom" would mislead.
                }
                else if (string.IsNullOrWhiteSpace(declared))
                {
                    if (state.Fields.Count == 1) gatesFrom.Add(state.Fields[0].Name);
                    else if (gates.Count > 0)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingGateSource, attributeLocation, type.Name,
                            state.Type.Name, string.Join(", ", state.Fields.Select(f => f.Name)), state.OutputField));
                }
                else
                {
                    foreach (string name in declared!.Split(',').Select(n => n.Trim()).Where(n => n.Length > 0))
                    {
                        if (state.Field(name) is null)
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownGateSource, attributeLocation, type.Name,
                                name, state.Type.Name, string.Join(", ", state.Fields.Select(f => f.Name))));
                        else if (gatesFrom.Contains(name))
                            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation,
                                "GatesFrom", type.Name, "\"" + declared + "\"",
                                "a list that names each field at most once ('" + name + "' is named twice)"));
                        else
                            gatesFrom.Add(name);
                    }
                }
            }
            var projection = (ProjectionKind)Declarations.NamedArgument<int>(attribute, "Projection");
            if (projection is not (ProjectionKind.Linear or ProjectionKind.Identity))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidAttributeArgument, attributeLocation, "Projection",
                    type.Name, ((int)projection).ToString(), "GateProjection.Linear or GateProjection.Identity"));

            // The body. Only the gates that were read above are gates; a gate dropped by an error above is not reported again.
            var body = new BodyParser(semanticModel, known, owner, gateParameters.Select(g => g.Name), stateParameters.Select(p => p.Name),
                state, diagnostics);
            body.Parse(syntax);

            var locations = new LayerLocations(typeLocation, methodLocation, attributeLocation, body.ResultLocation,
                gateLocations.ToEquatableArray(), body.Locations.ToEquatableArray());
            bool ok = body.CompilerError is null && !diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
            LayerSpec? spec = ok
                ? new LayerSpec(kind, Declarations.ToTypeRef(type), state, stateParameters.Select(p => p.Name).ToEquatableArray(),
                    gates.ToEquatableArray(),
                    projection, gatesFrom.ToEquatableArray(), body.Locals.ToEquatableArray(), body.Result.ToEquatableArray(),
                    Declarations.ScopeNames(type, Names.AliasCandidates(state.Type.Name), known.ModuleMemberNames))
                : null;
            return new ParsedLayer(spec, locations, diagnostics.ToEquatableArray(), body.CompilerError)
            {
                Kind = kind,
                TypeName = typeName
            };
        }
    }
}
