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
using PrLstm.Generators.Tables;

namespace PrLstm.Generators
{
    /// <summary>
    /// Reads PrLstm declarations ([State], [TokenEncoder], [CompositionBlock], [RefinementBlock],
    /// [ParallelRecursiveModel]), checks them, and emits TorchSharp modules. Work flows parse → check → plan → print
    /// (docs/dsl.md, "How the generator is built"); diagnostics and sources travel in separate branches so that moving
    /// a declaration around re-emits nothing.
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
            EmitEach(context, states.Select(static (r, _) => r.Value), static s => HintNames.For(s.Type, Names.TensorsRecord),
                StatePrinter.Print);

            // Layers: parse each encoder / block / refinement, then check it (sizes, fields, gates).
            var summaries = LayerKinds.All
                .Select(info => Layers(context, info))
                .Aggregate((IncrementalValueProvider<EquatableArray<LayerSummary>>?)null, (all, layers) =>
                {
                    var collected = layers.Select(static (l, _) => l.Summary).Collect();
                    return all is null
                        ? collected.Select(static (list, _) => list.ToEquatableArray())
                        : all.Value.Combine(collected).Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray());
                })!.Value;

            // Models: parse each [ParallelRecursiveModel], join it with the collected layer summaries by type name, check the wiring.
            var models = context.SyntaxProvider
                .ForAttributeWithMetadataName(KnownTypes.ParallelRecursiveModelAttribute, static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => Guarded(ctx, ct,
                        type => ModelParser.Parse(type, ctx.Attributes[0], new KnownTypes(ctx.SemanticModel.Compilation), ct)))
                .WithTrackingName(StepNames.Models);
            ReportDiagnostics(context, models.Select(static (r, _) => r.Diagnostics));
            var checkedModels = models
                .Where(static r => r.Value is not null)
                .Combine(summaries)
                .Select(static (pair, _) => ModelChecks.Check(pair.Left.Value!, pair.Right))
                .WithTrackingName(StepNames.CheckedModels);
            ReportDiagnostics(context, checkedModels.Select(static (r, _) => r.Diagnostics));
            EmitEach(context, checkedModels.Select(static (r, _) => r.Value), static p => HintNames.For(p.Type, "Model"),
                ModelPrinter.Print);
        }

        /// <summary>A checked layer and what models need to know of it.</summary>
        private sealed record CheckedLayerResult(Result<CheckedLayer?> Result, LayerSummary Summary);

        private IncrementalValuesProvider<CheckedLayerResult> Layers(IncrementalGeneratorInitializationContext context, LayerKindInfo info)
        {
            var layers = context.SyntaxProvider
                .ForAttributeWithMetadataName(info.Attribute, static (node, _) => node is TypeDeclarationSyntax,
                    (ctx, ct) => GuardedLayer(ctx, ct, info.Kind))
                .WithTrackingName(StepNames.For(info.Kind))
                .Select(static (parsed, _) =>
                {
                    var result = LayerChecks.Check(parsed);
                    var summary = new LayerSummary(parsed.Kind, parsed.TypeName, parsed.Spec?.State, LayerChecks.Problem(parsed, result),
                        result.Value is null ? EquatableArray<string>.Empty : LayerChecks.LayerSizes(result.Value.Spec));
                    return new CheckedLayerResult(result, summary);
                });
            ReportDiagnostics(context, layers.Select(static (p, _) => p.Result.Diagnostics));
            EmitEach(context, layers.Select(static (p, _) => p.Result.Value).WithTrackingName(StepNames.CheckedLayers),
                static s => HintNames.For(s.Spec.Type, Names.LayerClass), LayerPrinter.Print);
            return layers;
        }

        private static void ReportDiagnostics(IncrementalGeneratorInitializationContext context,
            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics) =>
            context.RegisterSourceOutput(diagnostics.Where(static d => d.Count > 0), static (output, list) =>
            {
                foreach (DiagnosticInfo diagnostic in list)
                    output.ReportDiagnostic(diagnostic.ToDiagnostic());
            });

        /// <summary>Emits one file per valid spec. An emitter failure becomes PRL9001 instead of a generator crash.</summary>
        private static void EmitEach<T>(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<T?> specs,
            Func<T, string> hintName, Func<T, string> emit)
            where T : class =>
            // One file per hint name: a type declared twice (C# reports CS0101 or CS0579) would otherwise make Roslyn drop
            // every file of the generator.
            context.RegisterSourceOutput(specs.Where(static s => s is not null).Collect()
                .SelectMany((all, _) => all.GroupBy(s => hintName(s!)).Select(g => g.First())), (output, spec) =>
            {
                try
                {
                    output.AddSource(hintName(spec!), emit(spec!));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, Location.None, hintName(spec!),
                        e.GetType().Name + ": " + e.Message));
                }
            });

        /// <summary>Runs a parse; any exception but cancellation becomes PRL9001 on the declaration.</summary>
        private static Result<T?> Guarded<T>(GeneratorAttributeSyntaxContext ctx, CancellationToken ct,
            Func<INamedTypeSymbol, Result<T?>> parse)
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

        /// <summary>
        /// For tests: makes the parse of the types it names throw, to check that failures become PRL9001. An instance
        /// member set at construction (as System.Text.Json's generator does), so nothing static can leak between runs.
        /// </summary>
        internal Func<string, bool>? FailParseOf { get; init; }

        private ParsedLayer GuardedLayer(GeneratorAttributeSyntaxContext ctx, CancellationToken ct, LayerKind kind)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var none = new LayerLocations(null, null, null, null, EquatableArray<LocationInfo?>.Empty, EquatableArray<LocationInfo?>.Empty);
            try
            {
                if (FailParseOf?.Invoke(type.Name) == true)
                    throw new InvalidOperationException("simulated failure");
                return LayerParser.Parse(type, ctx.Attributes[0], kind, ctx.SemanticModel, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new ParsedLayer(null, none, InternalError(type, e), null) { Kind = kind, TypeName = Declarations.FullName(type) };
            }
        }

        private static EquatableArray<DiagnosticInfo> InternalError(INamedTypeSymbol type, Exception e) =>
            new[] { DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, LocationInfo.From(type.Locations.FirstOrDefault()),
                type.Name, e.GetType().Name + ": " + e.Message) }.ToEquatableArray();
    }
}
