using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PrLstm.Generators.Check;
using PrLstm.Generators.Diagnostics;
using PrLstm.Generators.Emit;
using PrLstm.Generators.Model;
using PrLstm.Generators.Parse;

namespace PrLstm.Generators
{
    /// <summary>
    /// Reads PrLstm declarations ([State], [TokenEncoder], [CompositionBlock], [RefinementBlock],
    /// [ParallelRecursiveModel]), checks them, and emits TorchSharp modules. Work flows parse → model → check →
    /// emit; diagnostics and sources travel in separate branches so that moving a declaration around re-emits nothing.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class PrLstmGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
#if LAUNCH_DEBUGGER
            if (!System.Diagnostics.Debugger.IsAttached) System.Diagnostics.Debugger.Launch();
#endif
            // States: parse each [State] struct; report its diagnostics; emit its Tensors record.
            var states = context.SyntaxProvider
                .ForAttributeWithMetadataName(KnownTypes.StateAttribute, static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => Guarded(ctx, ct, type => StateParser.Parse(type, new KnownTypes(ctx.SemanticModel.Compilation))))
                .WithTrackingName(StepNames.States);
            ReportDiagnostics(context, states.Select(static (r, _) => r.Diagnostics));
            EmitEach(context, states.Select(static (r, _) => r.Value), static s => HintNames.For(s.Type, "Tensors"), StateEmitter.Emit);

            // Parts: parse each encoder / block / refinement, then check it (sizes, fields, gates).
            var encoders = Parts(context, KnownTypes.TokenEncoderAttribute, PartKind.Encoder, StepNames.Encoders);
            var blocks = Parts(context, KnownTypes.CompositionBlockAttribute, PartKind.Block, StepNames.Blocks);
            var refinements = Parts(context, KnownTypes.RefinementBlockAttribute, PartKind.Refinement, StepNames.Refinements);

            // Models: parse each [ParallelRecursiveModel], join it with the collected part summaries by type name, check the wiring.
            var summaries = encoders.Select(static (p, _) => p.Summary).Collect()
                .Combine(blocks.Select(static (p, _) => p.Summary).Collect())
                .Combine(refinements.Select(static (p, _) => p.Summary).Collect())
                .Select(static (all, _) => all.Left.Left.Concat(all.Left.Right).Concat(all.Right).ToEquatableArray());
            var models = context.SyntaxProvider
                .ForAttributeWithMetadataName(KnownTypes.ParallelRecursiveModelAttribute, static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => Guarded(ctx, ct, type => ModelParser.Parse(type, ctx.Attributes[0], ct)))
                .WithTrackingName(StepNames.Models);
            ReportDiagnostics(context, models.Select(static (r, _) => r.Diagnostics));
            var plans = models
                .Where(static r => r.Value is not null)
                .Combine(summaries)
                .Select(static (pair, _) => ModelChecks.Check(pair.Left.Value!, pair.Right))
                .WithTrackingName(StepNames.ModelPlans);
            ReportDiagnostics(context, plans.Select(static (r, _) => r.Diagnostics));
            EmitEach(context, plans.Select(static (r, _) => r.Value), static p => HintNames.For(p.Type, "Model"), ModelEmitter.Emit);
        }

        /// <summary>A checked part and what models need to know of it.</summary>
        private sealed record CheckedPart(Result<PartSpec?> Result, PartSummary Summary);

        private static IncrementalValuesProvider<CheckedPart> Parts(IncrementalGeneratorInitializationContext context, string attribute, PartKind kind, string stepName)
        {
            var parts = context.SyntaxProvider
                .ForAttributeWithMetadataName(attribute, static (node, _) => node is TypeDeclarationSyntax,
                    (ctx, ct) => GuardedPart(ctx, ct, kind))
                .WithTrackingName(stepName)
                .Select(static (parsed, _) =>
                {
                    var result = PartChecks.Check(parsed);
                    var summary = new PartSummary(parsed.Kind, parsed.TypeName, parsed.Spec?.State, result.Value is not null,
                        result.Value is null ? EquatableArray<string>.Empty : PartChecks.LayerSizes(result.Value));
                    return new CheckedPart(result, summary);
                });
            ReportDiagnostics(context, parts.Select(static (p, _) => p.Result.Diagnostics));
            EmitEach(context, parts.Select(static (p, _) => p.Result.Value).WithTrackingName(StepNames.PartSpecs), static s => HintNames.For(s.Type, "Layer"), PartEmitter.Emit);
            return parts;
        }

        private static void ReportDiagnostics(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics) =>
            context.RegisterSourceOutput(diagnostics.Where(static d => d.Count > 0), static (output, list) =>
            {
                foreach (DiagnosticInfo diagnostic in list)
                    output.ReportDiagnostic(diagnostic.ToDiagnostic());
            });

        /// <summary>Emits one file per valid spec. An emitter failure becomes PRL9001 instead of a generator crash.</summary>
        private static void EmitEach<T>(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<T?> specs, Func<T, string> hintName, Func<T, string> emit)
            where T : class =>
            context.RegisterSourceOutput(specs.Where(static s => s is not null), (output, spec) =>
            {
                try
                {
                    output.AddSource(hintName(spec!), emit(spec!));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, hintName(spec!), e.GetType().Name + ": " + e.Message));
                }
            });

        /// <summary>Runs a parse; any exception but cancellation becomes PRL9001 on the declaration.</summary>
        private static Result<T?> Guarded<T>(GeneratorAttributeSyntaxContext ctx, CancellationToken ct, Func<INamedTypeSymbol, Result<T?>> parse)
            where T : class
        {
            if (ctx.TargetSymbol is not INamedTypeSymbol type)
                return new Result<T?>(null, EquatableArray<DiagnosticInfo>.Empty);
            try
            {
                return parse(type);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new Result<T?>(null, InternalError(type, e));
            }
        }

        /// <summary>Test hook: makes the parse of the named type throw, to test that failures become PRL9001.</summary>
        internal static Func<string, bool>? FailForTesting { get; set; }

        private static ParsedPart GuardedPart(GeneratorAttributeSyntaxContext ctx, CancellationToken ct, PartKind kind)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var none = new PartLocations(null, null, null, null, EquatableArray<LocationInfo?>.Empty, EquatableArray<LocationInfo?>.Empty);
            try
            {
                if (FailForTesting?.Invoke(type.Name) == true)
                    throw new InvalidOperationException("simulated failure");
                return PartParser.Parse(type, ctx.Attributes[0], kind, ctx.SemanticModel, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new ParsedPart(null, none, InternalError(type, e)) { Kind = kind, TypeName = Declarations.FullName(type) };
            }
        }

        private static EquatableArray<DiagnosticInfo> InternalError(INamedTypeSymbol type, Exception e) =>
            new[] { DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(type.Locations.FirstOrDefault()), type.Name, e.GetType().Name + ": " + e.Message) }.ToEquatableArray();
    }
}
