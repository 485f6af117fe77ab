using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Model
{
    // Every type in this file must stay immutable and structurally equal (records of strings, numbers and
    // EquatableArray): the incremental pipeline compares them to decide whether to re-run later steps, so a
    // member without value equality (an array, a list, a Roslyn symbol or syntax node) would make every edit
    // re-emit every file. Source positions live apart, in the *Locations records, which only feed diagnostics.

    /// <summary>A declared type: where it lives and how to re-open it as a partial declaration.</summary>
    /// <param name="FullyQualifiedName">With the <c>global::</c> prefix, e.g. <c>global::Examples.LstmMerge</c>.</param>
    /// <param name="Keyword">"class", "struct" or "record struct": the partial declaration's keyword.</param>
    /// <param name="IsStatic">Whether the declaration is <c>static</c> (blocks and encoders are).</param>
    internal sealed record TypeRef(string FullyQualifiedName, string Namespace, string Name, string Keyword, bool IsStatic);

    /// <summary>One field of a state: its name and symbolic size.</summary>
    internal sealed record FieldSpec(string Name, string Size);

    /// <summary>A [State] struct: its fields in declaration order and the field the model outputs.</summary>
    /// <param name="ScopeNames">Names in the struct or its namespace that the generated file must not capture.</param>
    internal sealed record StateSpec(TypeRef Type, EquatableArray<FieldSpec> Fields, string OutputField, EquatableArray<string> ScopeNames)
    {
        public FieldSpec? Field(string name)
        {
            foreach (FieldSpec field in Fields)
                if (field.Name == name) return field;
            return null;
        }
    }

    /// <summary>A gate: a <c>Vec</c> parameter of the layer method, in declared order.</summary>
    internal sealed record GateSpec(string Name, string Size);

    /// <summary>Mirror of PrLstm.Dsl.GateProjection (the generator must not reference the Dsl assembly).</summary>
    internal enum ProjectionKind
    {
        Linear = 0,
        Identity = 1,
    }

    /// <summary>A node of a declaration body. <see cref="Id"/> indexes the node's source location and checked size.</summary>
    internal abstract record Expr(int Id);

    /// <summary>A gate parameter, e.g. <c>i</c>.</summary>
    internal sealed record GateRef(int Id, string Gate) : Expr(Id);

    /// <summary>A field of a state parameter, e.g. <c>left.c</c>.</summary>
    internal sealed record FieldRef(int Id, string Parameter, string Field) : Expr(Id);

    /// <summary>A local declared earlier in the body.</summary>
    internal sealed record LocalRef(int Id, string Name) : Expr(Id);

    /// <summary>A numeric constant.</summary>
    internal sealed record Constant(int Id, double Value) : Expr(Id);

    /// <summary>Negation.</summary>
    internal sealed record Negate(int Id, Expr Operand) : Expr(Id);

    /// <summary>An elementwise binary operation: <see cref="Op.Add"/>, Subtract, Multiply or Divide.</summary>
    internal sealed record Binary(int Id, Op Op, Expr Left, Expr Right) : Expr(Id);

    /// <summary>A call of an elementwise function of PrLstm.Dsl.Ops (Sigmoid, Tanh, Relu, Identity, Max, Min).</summary>
    internal sealed record Call(int Id, Op Op, EquatableArray<Expr> Arguments) : Expr(Id);

    /// <summary>
    /// A learned operation on an intermediate value, with parameters of its own named <see cref="Name"/>:
    /// <c>Linear</c> (a square affine map, bias optional) or <c>LayerNorm</c> (scale and offset). The result has the
    /// input's size.
    /// </summary>
    internal sealed record LearnedOp(int Id, Op Op, string Name, Expr Input, bool Bias) : Expr(Id);

    /// <summary><c>var name = value;</c>, with the statement as written (for the comment above its generated code).</summary>
    internal sealed record LocalSpec(string Name, Expr Value, string Source);

    /// <summary>One member of the returned object initialiser: <c>field = value</c>.</summary>
    internal sealed record AssignmentSpec(string Field, Expr Value, string Source);

    /// <summary>
    /// A token encoder, composition block or refinement block, as read from its declaration.
    /// </summary>
    /// <param name="StateParameters">Names of the state parameters: none (encoder), left and right (block), one (refinement).</param>
    /// <param name="GatesFrom">Fields that feed the gates, in order (per child, left child first).</param>
    /// <param name="ScopeNames">Names declared in the user's type or namespace that the generated file could bind to by
    /// mistake: the printer's name scope avoids them.</param>
    internal sealed record LayerSpec(
        LayerKind Kind,
        TypeRef Type,
        StateSpec State,
        EquatableArray<string> StateParameters,
        EquatableArray<GateSpec> Gates,
        ProjectionKind Projection,
        EquatableArray<string> GatesFrom,
        EquatableArray<LocalSpec> Locals,
        EquatableArray<AssignmentSpec> Result,
        EquatableArray<string> ScopeNames)
    {
        public LayerKindInfo Info => LayerKinds.Of(Kind);

        /// <summary>"LstmMerge.Compose", for messages.</summary>
        public string Owner => Type.Name + "." + Info.MethodName;
    }

    /// <summary>A layer whose checks passed, with the size of every body expression (by <see cref="Expr.Id"/>;
    /// <see cref="Check.Sizes.Scalar"/> for numbers).</summary>
    internal sealed record CheckedLayer(LayerSpec Spec, EquatableArray<string> ExpressionSizes)
    {
        public string SizeOf(Expr expr) => ExpressionSizes[expr.Id];
    }

    /// <summary>Source positions of a layer, for diagnostics only (never compared by the emit pipeline).</summary>
    internal sealed record LayerLocations(
        LocationInfo? Type,
        LocationInfo? Method,
        LocationInfo? Attribute,
        LocationInfo? Result,
        EquatableArray<LocationInfo?> Gates,
        EquatableArray<LocationInfo?> Expressions);

    /// <summary>A parsed layer with its locations and the diagnostics its parse found.</summary>
    /// <param name="CompilerError">The first C# error inside the body when C# itself rejects it (no PRL diagnostic is
    /// added for what C# reports), or null.</param>
    internal sealed record ParsedLayer(LayerSpec? Spec, LayerLocations Locations, EquatableArray<DiagnosticInfo> Diagnostics,
        string? CompilerError)
    {
        /// <summary>The declaration kind, known even when the parse failed.</summary>
        public LayerKind Kind { get; init; }

        /// <summary>The declaring type's fully qualified name, known even when the parse failed.</summary>
        public string TypeName { get; init; } = "";
    }

    /// <summary>What a model needs to know of a layer it references, valid or not.</summary>
    /// <param name="Problem">Null when the layer is valid; otherwise why it is not (its errors are reported on the
    /// layer itself; the model says once that it is not generated, and why).</param>
    internal sealed record LayerSummary(LayerKind Kind, string TypeName, StateSpec? State, string? Problem, EquatableArray<string> Sizes);

    /// <summary>A [ParallelRecursiveModel] declaration, before its layers are looked up.</summary>
    /// <param name="RefinementsExplicit">Whether the attribute set Refinements (so it must agree with Refinement).</param>
    internal sealed record ModelSpec(
        TypeRef Type,
        string? Encoder,
        string? Block,
        string? Refinement,
        int DefaultRefinements,
        bool RefinementsExplicit,
        LocationInfo? Location,
        EquatableArray<string> ScopeNames);

    /// <summary>A checked model: everything the model printer needs.</summary>
    /// <param name="Sizes">The constructor's size parameters, in order (state fields first, then gates).</param>
    internal sealed record CheckedModel(
        TypeRef Type,
        StateSpec State,
        string Encoder,
        EquatableArray<string> EncoderSizes,
        string Block,
        EquatableArray<string> BlockSizes,
        string? Refinement,
        EquatableArray<string> RefinementSizes,
        int DefaultRefinements,
        EquatableArray<string> Sizes,
        EquatableArray<string> ScopeNames);
}
