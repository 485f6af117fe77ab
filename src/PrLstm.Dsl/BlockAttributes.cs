using System;

namespace PrLstm.Dsl
{
    /// <summary>How a block's gates are computed from its gate source.</summary>
    public enum GateProjection
    {
        /// <summary>One learned affine map (weight and bias) of the gate source to all gates, split in declared order.</summary>
        Linear = 0,

        /// <summary>
        /// No parameters: the gate source itself is split into the gates, so its size must equal the sum of the
        /// gate sizes (checked at compile time).
        /// </summary>
        Identity = 1,
    }

    /// <summary>
    /// Declares a token encoder: a <c>static partial class</c> with a method
    /// <c>static TState Encode(Vec gate1, Vec gate2, ...)</c>. Every token's input vector goes through one
    /// learned projection to all gates (declared order, one <see cref="Vec"/> parameter each); the body builds
    /// the token's state from them. Tokens are encoded independently of each other.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false)]
    public sealed class TokenEncoderAttribute : Attribute
    {
        /// <summary>
        /// Size of gates whose parameter has no <see cref="SizeAttribute"/>. Default: the state's field size when
        /// all state fields have the same size.
        /// </summary>
        public string? GateSize { get; set; }
    }

    /// <summary>
    /// Declares a binary gated composition block: a <c>static partial class</c> with a method
    /// <c>static TState Compose(TState left, TState right, Vec gate1, ...)</c> that merges an earlier (left) and a
    /// later (right) segment. Its gates come from one projection of the concatenation of the fields named in
    /// <see cref="GatesFrom"/>, taken from the left child, then from the right child.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false)]
    public sealed class CompositionBlockAttribute : Attribute
    {
        /// <summary>
        /// Comma-separated state fields that feed the gates, e.g. <c>"h"</c> gives <c>[left.h ; right.h]</c> and
        /// <c>"h, c"</c> gives <c>[left.h ; left.c ; right.h ; right.c]</c>. Required when the state has several
        /// fields; a single-field state uses that field by default.
        /// </summary>
        public string? GatesFrom { get; set; }

        /// <summary>How the gates are computed from the gate source (default: a learned linear map).</summary>
        public GateProjection Projection { get; set; } = GateProjection.Linear;

        /// <summary>Size of gates whose parameter has no <see cref="SizeAttribute"/> (see <see
        /// cref="TokenEncoderAttribute.GateSize"/>).</summary>
        public string? GateSize { get; set; }
    }

    /// <summary>
    /// Declares a unary refinement block, applied after the composition block with its own parameters (the
    /// paper's 0R / 1R / 2R variants use 0, 1 or 2 of them): a <c>static partial class</c> with a method
    /// <c>static TState Refine(TState state, Vec gate1, ...)</c>. Its gates come from one projection of the
    /// fields named in <see cref="GatesFrom"/>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false)]
    public sealed class RefinementBlockAttribute : Attribute
    {
        /// <summary>Comma-separated state fields that feed the gates (see <see cref="CompositionBlockAttribute.GatesFrom"/>).</summary>
        public string? GatesFrom { get; set; }

        /// <summary>How the gates are computed from the gate source (default: a learned linear map).</summary>
        public GateProjection Projection { get; set; } = GateProjection.Linear;

        /// <summary>Size of gates whose parameter has no <see cref="SizeAttribute"/>.</summary>
        public string? GateSize { get; set; }
    }

    /// <summary>
    /// Declares a parallel recursive model on a <c>partial class</c>: a token encoder, a composition block and
    /// optionally a refinement block applied <c>refinements</c> times after it. The generator makes the class a
    /// TorchSharp module with the tree scan (<c>forward</c>), the final-state-only method and the sequential
    /// baseline, all sharing the same parameters.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, Inherited = false)]
    public sealed class ParallelRecursiveModelAttribute : Attribute
    {
        /// <summary>The <see cref="TokenEncoderAttribute"/> type.</summary>
        public Type? Encoder { get; set; }

        /// <summary>The <see cref="CompositionBlockAttribute"/> type.</summary>
        public Type? Block { get; set; }

        /// <summary>The <see cref="RefinementBlockAttribute"/> type, or null for none.</summary>
        public Type? Refinement { get; set; }

        /// <summary>Default number of refinement layers for the constructor (1 when a refinement is given).</summary>
        public int Refinements { get; set; } = 1;
    }
}
