using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Parse
{
    /// <summary>Reads a [ParallelRecursiveModel] class. Its layers are looked up later, among the parsed layers.</summary>
    internal static class ModelParser
    {
        public static Result<ModelSpec?> Parse(INamedTypeSymbol type, AttributeData attribute, KnownTypes known,
            CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken))
                ?? LocationInfo.From(type.Locations.FirstOrDefault());
            if (!Declarations.CheckShape(type, "the TorchSharp module members", diagnostics))
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            if (type.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape,
                    LocationInfo.From(type.Locations.FirstOrDefault()), type.Name, "static"));
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            }

            if (ModelApi.Names.Contains(type.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape,
                    LocationInfo.From(type.Locations.FirstOrDefault()), type.Name,
                    "named like a member of the generated model (" + type.Name + "); C# forbids a member named like its type"));
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            }

            string? Layer(LayerKind kind) =>
                Declarations.NamedArgument<ITypeSymbol>(attribute, LayerKinds.Of(kind).ModelArgument) is { } layer
                    ? Declarations.FullName(layer) : null;

            string? encoder = Layer(LayerKind.Encoder), block = Layer(LayerKind.Block), refinement = Layer(LayerKind.Refinement);
            foreach (var (kind, name) in new[] { (LayerKind.Encoder, encoder), (LayerKind.Block, block) })
                if (name is null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModelLayer, location, LayerKinds.Of(kind)
                        .ModelArgument, type.Name, "not set", LayerKinds.Of(kind).AttributeName));

            bool refinementsExplicit = Declarations.HasNamedArgument(attribute, "Refinements");
            int refinements = refinementsExplicit ? Declarations.NamedArgument<int>(attribute, "Refinements") : 1;
            var spec = new ModelSpec(Declarations.ToTypeRef(type), encoder, block, refinement, refinements, refinementsExplicit, location,
                Declarations.ScopeNames(type, new[] { "torch" }, known.ModuleMemberNames));
            return new Result<ModelSpec?>(diagnostics.Count == 0 ? spec : null, diagnostics.ToEquatableArray());
        }
    }
}
