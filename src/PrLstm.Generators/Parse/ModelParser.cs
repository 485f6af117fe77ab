using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Parse
{
    /// <summary>Reads a [ParallelRecursiveModel] class. Its parts are looked up later, among the parsed parts.</summary>
    internal static class ModelParser
    {
        public static Result<ModelSpec?> Parse(INamedTypeSymbol type, AttributeData attribute, KnownTypes known, CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? LocationInfo.From(type.Locations.FirstOrDefault());
            if (!Declarations.CheckShape(type, "the TorchSharp module members", diagnostics))
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            if (type.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, LocationInfo.From(type.Locations.FirstOrDefault()), type.Name, "static"));
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            }

            if (ModelApi.Names.Contains(type.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, LocationInfo.From(type.Locations.FirstOrDefault()), type.Name,
                    "named like a member of the generated model (" + type.Name + "); C# forbids a member named like its type"));
                return new Result<ModelSpec?>(null, diagnostics.ToEquatableArray());
            }

            string? Part(string name) =>
                Declarations.NamedArgument<ITypeSymbol>(attribute, name) is { } part ? Declarations.FullName(part) : null;

            string? encoder = Part("Encoder"), block = Part("Block"), refinement = Part("Refinement");
            if (encoder is null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModelPart, location, "Encoder", type.Name, "not set", "TokenEncoder"));
            if (block is null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModelPart, location, "Block", type.Name, "not set", "CompositionBlock"));

            bool refinementsExplicit = Declarations.HasNamedArgument(attribute, "Refinements");
            int refinements = refinementsExplicit ? Declarations.NamedArgument<int>(attribute, "Refinements") : 1;
            var spec = new ModelSpec(Declarations.ToTypeRef(type), encoder, block, refinement, refinements, refinementsExplicit, location,
                Declarations.ScopeNames(type, new[] { "torch" }).Concat(known.ModuleMemberNames).Distinct().OrderBy(n => n, System.StringComparer.Ordinal).ToEquatableArray());
            return new Result<ModelSpec?>(diagnostics.Count == 0 ? spec : null, diagnostics.ToEquatableArray());
        }
    }
}
