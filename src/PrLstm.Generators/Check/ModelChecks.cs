using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Model;
using PrLstm.Generators.Parse;

namespace PrLstm.Generators.Check
{
    /// <summary>Joins a model declaration with the parts it names, by type name, and checks the wiring.</summary>
    internal static class ModelChecks
    {
        public static Result<ModelPlan?> Check(ModelSpec model, EquatableArray<PartSummary> parts)
        {
            var diagnostics = new List<DiagnosticInfo>();
            PartSummary? Find(string role, string typeName, PartKind kind, string attribute)
            {
                var match = parts.FirstOrDefault(p => p.TypeName == typeName && p.Kind == kind);
                if (match is not null) return match;
                var other = parts.FirstOrDefault(p => p.TypeName == typeName);
                string what = other is null ? ShortName(typeName) : ShortName(typeName) + " (a " + PartParser.KindName(other.Kind) + ")";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModelPart, model.Location, role, model.Type.Name, what, attribute));
                return null;
            }

            PartSummary? encoder = Find("Encoder", model.Encoder!, PartKind.Encoder, "TokenEncoder");
            PartSummary? block = Find("Block", model.Block!, PartKind.Block, "CompositionBlock");
            PartSummary? refinement = model.Refinement is null ? null : Find("Refinement", model.Refinement, PartKind.Refinement, "RefinementBlock");

            int refinements = model.Refinement is null && !model.RefinementsExplicit ? 0 : model.DefaultRefinements;
            if (refinements < 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRefinementCount, model.Location, model.Type.Name, refinements.ToString()));
            else if (model.Refinement is null && refinements > 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RefinementsWithoutBlock, model.Location, model.Type.Name, refinements.ToString()));

            if (diagnostics.Count > 0 || encoder is null || block is null)
                return new Result<ModelPlan?>(null, diagnostics.ToEquatableArray());

            // A part with errors has reported them itself; the model waits for it to be fixed.
            if (!encoder.Valid || !block.Valid || refinement is { Valid: false })
                return new Result<ModelPlan?>(null, EquatableArray<DiagnosticInfo>.Empty);

            foreach (var (role, part) in new[] { ("Block", block), ("Refinement", refinement) })
            {
                if (part is not null && part.State!.Type.FullyQualifiedName != encoder.State!.Type.FullyQualifiedName)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StateMismatch, model.Location, model.Type.Name,
                        "Encoder", ShortName(encoder.TypeName), encoder.State.Type.Name, role, ShortName(part.TypeName), part.State.Type.Name));
            }
            if (diagnostics.Count > 0)
                return new Result<ModelPlan?>(null, diagnostics.ToEquatableArray());

            var sizes = Sizes.Distinct(encoder.Sizes.Concat(block.Sizes).Concat(refinement?.Sizes ?? EquatableArray<string>.Empty)).ToEquatableArray();
            // Each size becomes a property of the model; C# forbids a member named like its type.
            if (sizes.Contains(model.Type.Name))
                return new Result<ModelPlan?>(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.SizeNamedLikeModel, model.Location, model.Type.Name, model.Type.Name) }.ToEquatableArray());
            var plan = new ModelPlan(model.Type, encoder.State!, encoder.TypeName, encoder.Sizes, block.TypeName, block.Sizes,
                refinement?.TypeName, refinement?.Sizes ?? EquatableArray<string>.Empty, refinements, sizes);
            return new Result<ModelPlan?>(plan, EquatableArray<DiagnosticInfo>.Empty);
        }

        private static string ShortName(string fullyQualifiedName)
        {
            int dot = fullyQualifiedName.LastIndexOf('.');
            return dot < 0 ? fullyQualifiedName.Replace("global::", "") : fullyQualifiedName.Substring(dot + 1);
        }
    }
}
