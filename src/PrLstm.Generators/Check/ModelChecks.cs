using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Check
{
    /// <summary>Joins a model declaration with the layers it names, by type name, and checks the wiring.</summary>
    internal static class ModelChecks
    {
        /// <summary>The most refinement layers a model may default to (the paper uses 0 to 2; more is surely a typo).</summary>
        public const int MaxRefinements = 64;

        public static Result<CheckedModel?> Check(ModelSpec model, EquatableArray<LayerSummary> layers)
        {
            var diagnostics = new List<DiagnosticInfo>();
            LayerSummary? Find(string? typeName, LayerKind kind)
            {
                if (typeName is null) return null;
                var match = layers.FirstOrDefault(p => p.TypeName == typeName && p.Kind == kind);
                if (match is not null) return match;
                var info = LayerKinds.Of(kind);
                var other = layers.FirstOrDefault(p => p.TypeName == typeName);
                string what = other is null ? ShortName(typeName) : ShortName(typeName) + " (a " + LayerKinds.Of(other.Kind).DisplayName
                    + ")";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidModelLayer, model.Location, info.ModelArgument,
                    model.Type.Name, what, info.AttributeName));
                return null;
            }

            LayerSummary? encoder = Find(model.Encoder, LayerKind.Encoder);
            LayerSummary? block = Find(model.Block, LayerKind.Block);
            LayerSummary? refinement = Find(model.Refinement, LayerKind.Refinement);

            int refinements = model.Refinement is null && !model.RefinementsExplicit ? 0 : model.DefaultRefinements;
            if (refinements < 0 || refinements > MaxRefinements)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRefinementCount, model.Location, model.Type.Name,
                    refinements.ToString()));
            else if (model.Refinement is null && refinements > 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RefinementsWithoutBlock, model.Location, model.Type.Name,
                    refinements.ToString()));

            if (diagnostics.Count > 0 || encoder is null || block is null)
                return new Result<CheckedModel?>(null, diagnostics.ToEquatableArray());

            // A layer with errors has reported them itself; the model says once that it waits for them, and why.
            foreach (LayerSummary? layer in new[] { encoder, block, refinement })
            {
                if (layer?.Problem is { } problem)
                {
                    var error = DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotGenerated, model.Location, model.Type.Name,
                        LayerKinds.Of(layer.Kind).DisplayName, ShortName(layer.TypeName), problem);
                    return new Result<CheckedModel?>(null, new[] { error }.ToEquatableArray());
                }
            }

            foreach (LayerSummary? layer in new[] { block, refinement })
            {
                if (layer is not null && layer.State!.Type.FullyQualifiedName != encoder.State!.Type.FullyQualifiedName)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StateMismatch, model.Location, model.Type.Name,
                        "Encoder", ShortName(encoder.TypeName), encoder.State.Type.Name, LayerKinds.Of(layer.Kind).ModelArgument,
                            ShortName(layer.TypeName), layer.State.Type.Name));
            }
            if (diagnostics.Count > 0)
                return new Result<CheckedModel?>(null, diagnostics.ToEquatableArray());

            var sizes = Sizes.Distinct(encoder.Sizes.Concat(block.Sizes).Concat(refinement?.Sizes ?? EquatableArray<string>.Empty))
                .ToEquatableArray();
            // Each size becomes a property of the model; C# forbids a member named like its type.
            if (sizes.Contains(model.Type.Name))
                return new Result<CheckedModel?>(null,
                    new[] { DiagnosticInfo.Create(DiagnosticDescriptors.SizeNamedLikeModel, model.Location, model.Type.Name,
                        model.Type.Name) }.ToEquatableArray());
            var plan = new CheckedModel(model.Type, encoder.State!, encoder.TypeName, encoder.Sizes, block.TypeName, block.Sizes,
                refinement?.TypeName, refinement?.Sizes ?? EquatableArray<string>.Empty, refinements, sizes, model.ScopeNames);
            return new Result<CheckedModel?>(plan, EquatableArray<DiagnosticInfo>.Empty);
        }

        /// <summary>"LstmMerge" from "global::Examples.LstmMerge".</summary>
        public static string ShortName(string fullyQualifiedName) =>
            fullyQualifiedName.Substring(fullyQualifiedName.LastIndexOf('.') + 1).Replace("global::", "");
    }
}
