using Microsoft.CodeAnalysis;

namespace PrLstm.Generators.Diagnostics
{
    /// <summary>
    /// Every diagnostic the generator reports. IDs: PRL0xxx declaration, PRL1xxx model checks, PRL9xxx internal.
    /// Never reuse an ID; add new ones to AnalyzerReleases.Unshipped.md and docs/diagnostics.md.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        // Help ships inside the generator: each descriptor's description is the "Fix:" paragraph of its section in
        // docs/diagnostics.md, embedded at build time, so IDEs show it without a link to a file users do not have.
        private static string Help(string id) => DiagnosticHelp.Fix(id);

        public const string NotPartialId = "PRL0001";
        public const string UnsupportedStatementId = "PRL0002";
        public const string UnknownFunctionId = "PRL0003";
        public const string MissingMethodId = "PRL0004";
        public const string UnsupportedTypeShapeId = "PRL0005";
        public const string InvalidStateFieldId = "PRL0006";
        public const string InvalidSizeNameId = "PRL0007";
        public const string UnknownGateSourceId = "PRL0008";
        public const string NotAStateId = "PRL0009";
        public const string InvalidModelLayerId = "PRL0010";
        public const string MissingGateSourceId = "PRL0011";
        public const string UnsupportedExpressionId = "PRL0012";
        public const string InvalidAttributeArgumentId = "PRL0013";
        public const string InvalidProjectionId = "PRL0014";
        public const string SizeMismatchId = "PRL1001";
        public const string WrongReturnTypeId = "PRL1002";
        public const string FieldUnassignedId = "PRL1003";
        public const string UnusedGateId = "PRL1004";
        public const string GateSourceSizeMismatchId = "PRL1005";
        public const string StateMismatchId = "PRL1006";
        public const string WrongArityId = "PRL1007";
        public const string FieldSizeMismatchId = "PRL1008";
        public const string GateSizeUnknownId = "PRL1009";
        public const string RefinementsWithoutBlockId = "PRL1010";
        public const string InvalidRefinementCountId = "PRL1011";
        public const string ChildStateMismatchId = "PRL1012";
        public const string SizeNamedLikeModelId = "PRL1013";
        public const string ModelNotGeneratedId = "PRL1014";
        public const string InternalErrorId = "PRL9001";

        /// <summary>PRL0001: "'{0}' must be declared partial so that the generator can add {1}".</summary>
        public static readonly DiagnosticDescriptor NotPartial = new(
            id: NotPartialId,
            title: "Declaration must be partial",
            messageFormat: "'{0}' must be declared partial so that the generator can add {1}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(NotPartialId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0002: "{0} contains '{1}', which a declaration body cannot hold; write local declarations followed by one return of
        /// a new state object".</summary>
        public static readonly DiagnosticDescriptor UnsupportedStatement = new(
            id: UnsupportedStatementId,
            title: "Unsupported statement in a declaration body",
            messageFormat: "{0} contains '{1}', which a declaration body cannot hold; write local declarations followed by one return of "
                + "a new state object",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(UnsupportedStatementId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0003: "'{0}' in {1} is not a PrLstm function; use Sigmoid, Tanh, Relu, Identity, Max or Min from
        /// PrLstm.Dsl.Ops".</summary>
        public static readonly DiagnosticDescriptor UnknownFunction = new(
            id: UnknownFunctionId,
            title: "Unknown function in a declaration body",
            messageFormat: "'{0}' in {1} is not a PrLstm function; use " + Tables.DslFunctions.ElementwiseNames + " from PrLstm.Dsl.Ops",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(UnknownFunctionId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0004: "{0} must declare exactly one public static method named '{1}'".</summary>
        public static readonly DiagnosticDescriptor MissingMethod = new(
            id: MissingMethodId,
            title: "Declaration lacks its method",
            messageFormat: "{0} must declare exactly one public static method named '{1}'",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(MissingMethodId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0005: "{0} cannot be a PrLstm declaration: it is {1}".</summary>
        public static readonly DiagnosticDescriptor UnsupportedTypeShape = new(
            id: UnsupportedTypeShapeId,
            title: "Unsupported declaration shape",
            messageFormat: "{0} cannot be a PrLstm declaration: it is {1}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(UnsupportedTypeShapeId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0006: "Member '{0}' of state {1} {2}; state fields are public instance fields of type Vec with
        /// [Size("name")]".</summary>
        public static readonly DiagnosticDescriptor InvalidStateField = new(
            id: InvalidStateFieldId,
            title: "Invalid state field",
            messageFormat: "Member '{0}' of state {1} {2}; state fields are public instance fields of type Vec with [Size(\"name\")]",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidStateFieldId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0007: "Size name '{0}' in {1} is not usable: {2}".</summary>
        public static readonly DiagnosticDescriptor InvalidSizeName = new(
            id: InvalidSizeNameId,
            title: "Invalid size name",
            messageFormat: "Size name '{0}' in {1} is not usable: {2}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidSizeNameId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0008: "GatesFrom of {0} names '{1}', which is not a field of state {2} (its fields: {3})".</summary>
        public static readonly DiagnosticDescriptor UnknownGateSource = new(
            id: UnknownGateSourceId,
            title: "Unknown field in GatesFrom",
            messageFormat: "GatesFrom of {0} names '{1}', which is not a field of state {2} (its fields: {3})",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(UnknownGateSourceId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0009: "{0} of {1} is {2}, which is not a [State] struct".</summary>
        public static readonly DiagnosticDescriptor NotAState = new(
            id: NotAStateId,
            title: "Type is not a [State] struct",
            messageFormat: "{0} of {1} is {2}, which is not a [State] struct",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(NotAStateId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0010: "{0} of model {1} is {2}, which is not a [{3}] declaration".</summary>
        public static readonly DiagnosticDescriptor InvalidModelLayer = new(
            id: InvalidModelLayerId,
            title: "Model layer has the wrong kind",
            messageFormat: "{0} of model {1} is {2}, which is not a [{3}] declaration",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidModelLayerId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0011: "{0} must say which fields of {1} feed its gates: its state has several fields ({2}); set GatesFrom, e.g.
        /// GatesFrom = "{3}"".</summary>
        public static readonly DiagnosticDescriptor MissingGateSource = new(
            id: MissingGateSourceId,
            title: "GatesFrom is required",
            messageFormat: "{0} must say which fields of {1} feed its gates: its state has several fields ({2}); set GatesFrom, for "
                + "example GatesFrom = \"{3}\"",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(MissingGateSourceId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0012: "'{0}' in {1} is not supported: {2}".</summary>
        public static readonly DiagnosticDescriptor UnsupportedExpression = new(
            id: UnsupportedExpressionId,
            title: "Unsupported expression in a declaration body",
            messageFormat: "'{0}' in {1} is not supported: {2}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(UnsupportedExpressionId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0013: "{0} of {1} is {2}, which is not {3}".</summary>
        public static readonly DiagnosticDescriptor InvalidAttributeArgument = new(
            id: InvalidAttributeArgumentId,
            title: "Invalid attribute argument",
            messageFormat: "{0} of {1} is {2}, which is not {3}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidAttributeArgumentId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL0014: "{0} '{1}' in {2} {3}".</summary>
        public static readonly DiagnosticDescriptor InvalidProjection = new(
            id: InvalidProjectionId,
            title: "Invalid learned operation in a declaration body",
            messageFormat: "{0} '{1}' in {2} {3}",
            category: DiagnosticCategories.Declaration,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidProjectionId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1001: "Operands of '{0}' in {1} have sizes {2} and {3}".</summary>
        public static readonly DiagnosticDescriptor SizeMismatch = new(
            id: SizeMismatchId,
            title: "Operands of different sizes",
            messageFormat: "Operands of '{0}' in {1} have sizes {2} and {3}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(SizeMismatchId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1002: "{0} must return its state type {1}, not {2}".</summary>
        public static readonly DiagnosticDescriptor WrongReturnType = new(
            id: WrongReturnTypeId,
            title: "Block does not return its state type",
            messageFormat: "{0} must return its state type {1}, not {2}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(WrongReturnTypeId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1003: "{0} does not assign {1}.{2}".</summary>
        public static readonly DiagnosticDescriptor FieldUnassigned = new(
            id: FieldUnassignedId,
            title: "State field left unassigned",
            messageFormat: "{0} does not assign {1}.{2}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(FieldUnassignedId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1004: "Gate '{0}' of {1} is never used; remove it or use it (its projection weights would never train)".</summary>
        public static readonly DiagnosticDescriptor UnusedGate = new(
            id: UnusedGateId,
            title: "Gate never used",
            messageFormat: "Gate '{0}' of {1} is never used; remove it or use it (its projection weights would never train)",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: Help(UnusedGateId));

        /// <summary>PRL1005: "The gate source {0} of {1} has size {2}, but its gates need {3}".</summary>
        public static readonly DiagnosticDescriptor GateSourceSizeMismatch = new(
            id: GateSourceSizeMismatchId,
            title: "Gate source does not match the gates",
            messageFormat: "The gate source {0} of {1} has size {2}, but its gates need {3}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(GateSourceSizeMismatchId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1006: "Model {0}: {1} {2} uses state {3}, but {4} {5} uses state {6}".</summary>
        public static readonly DiagnosticDescriptor StateMismatch = new(
            id: StateMismatchId,
            title: "Model layers use different states",
            messageFormat: "Model {0}: {1} {2} uses state {3}, but {4} {5} uses state {6}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(StateMismatchId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1007: "{0} takes {1} state parameter(s) before its gates, but a {2} takes {3}".</summary>
        public static readonly DiagnosticDescriptor WrongArity = new(
            id: WrongArityId,
            title: "Wrong number of state parameters",
            messageFormat: "{0} takes {1} state parameter(s) before its gates, but a {2} takes {3}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(WrongArityId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1008: "{0} assigns {1}.{2} (size {3}) a value of size {4}".</summary>
        public static readonly DiagnosticDescriptor FieldSizeMismatch = new(
            id: FieldSizeMismatchId,
            title: "Assigned value has the wrong size",
            messageFormat: "{0} assigns {1}.{2} (size {3}) a value of size {4}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(FieldSizeMismatchId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1009: "Gate '{0}' of {1} has no size: the state's fields have different sizes ({2}); add [Size("...")] to the gate
        /// or set GateSize".</summary>
        public static readonly DiagnosticDescriptor GateSizeUnknown = new(
            id: GateSizeUnknownId,
            title: "Gate size cannot be inferred",
            messageFormat: "Gate '{0}' of {1} has no size: the state's fields have different sizes ({2}); add [Size(\"...\")] to the gate "
                + "or set GateSize",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(GateSizeUnknownId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1010: "Model {0} sets Refinements = {1} but names no Refinement block".</summary>
        public static readonly DiagnosticDescriptor RefinementsWithoutBlock = new(
            id: RefinementsWithoutBlockId,
            title: "Refinements without a refinement block",
            messageFormat: "Model {0} sets Refinements = {1} but names no Refinement block",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(RefinementsWithoutBlockId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1011: "Model {0} sets Refinements = {1}; it must be between 0 and 64".</summary>
        public static readonly DiagnosticDescriptor InvalidRefinementCount = new(
            id: InvalidRefinementCountId,
            title: "Invalid refinement count",
            messageFormat: "Model {0} sets Refinements = {1}; it must be between 0 and " + Check.ModelChecks.MaxRefinements,
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InvalidRefinementCountId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1012: "The children of {0} have different states: {1} and {2}".</summary>
        public static readonly DiagnosticDescriptor ChildStateMismatch = new(
            id: ChildStateMismatchId,
            title: "Children of a block have different states",
            messageFormat: "The children of {0} have different states: {1} and {2}",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(ChildStateMismatchId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1013: "Size '{0}' of model {1} has the model's own name; rename the size or the model".</summary>
        public static readonly DiagnosticDescriptor SizeNamedLikeModel = new(
            id: SizeNamedLikeModelId,
            title: "Size named like its model",
            messageFormat: "Size '{0}' of model {1} has the model's own name; rename the size or the model",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(SizeNamedLikeModelId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL1014: "Model {0} is not generated: its {1} {2} {3}; fix that first".</summary>
        public static readonly DiagnosticDescriptor ModelNotGenerated = new(
            id: ModelNotGeneratedId,
            title: "Model not generated because of a layer's errors",
            messageFormat: "Model {0} is not generated: its {1} {2} {3}; fix that first",
            category: DiagnosticCategories.Model,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(ModelNotGeneratedId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);

        /// <summary>PRL9001: "The PrLstm generator failed on {0}: {1}. Please report this with the declaration.".</summary>
        public static readonly DiagnosticDescriptor InternalError = new(
            id: InternalErrorId,
            title: "PrLstm generator failure",
            messageFormat: "The PrLstm generator failed on {0}: {1}. Please report this with the declaration.",
            category: DiagnosticCategories.Internal,
            defaultSeverity: DiagnosticSeverity.Error,
            isEnabledByDefault: true,
            description: Help(InternalErrorId),
            customTags: WellKnownDiagnosticTags.NotConfigurable);
    }
}
