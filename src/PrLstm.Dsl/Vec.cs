using System;

namespace PrLstm.Dsl
{
    /// <summary>
    /// A vector-valued quantity in a declaration body: a state field, a gate, or an expression of them. Its
    /// size is symbolic (<see cref="SizeAttribute"/>). Bodies are compiled by C# (so IntelliSense and
    /// ordinary errors work) but never executed: the generator reads them and emits TorchSharp code, where
    /// every operation is elementwise over <c>[B, N, size]</c> tensors.
    /// </summary>
    public readonly struct Vec
    {
#pragma warning disable IDE0060 // Parameters exist for the declaration's type checking only.
        /// <summary>Elementwise sum.</summary>
        public static Vec operator +(Vec a, Vec b) => throw DeclarationOnly();
        /// <summary>Elementwise difference.</summary>
        public static Vec operator -(Vec a, Vec b) => throw DeclarationOnly();
        /// <summary>Elementwise (Hadamard) product.</summary>
        public static Vec operator *(Vec a, Vec b) => throw DeclarationOnly();
        /// <summary>Negation.</summary>
        public static Vec operator -(Vec a) => throw DeclarationOnly();
        /// <summary>Adds a constant to every element.</summary>
        public static Vec operator +(Vec a, double b) => throw DeclarationOnly();
        /// <summary>Adds a constant to every element.</summary>
        public static Vec operator +(double a, Vec b) => throw DeclarationOnly();
        /// <summary>Subtracts a constant from every element.</summary>
        public static Vec operator -(Vec a, double b) => throw DeclarationOnly();
        /// <summary>A constant minus every element, e.g. <c>1 - z</c>.</summary>
        public static Vec operator -(double a, Vec b) => throw DeclarationOnly();
        /// <summary>Scales every element.</summary>
        public static Vec operator *(Vec a, double b) => throw DeclarationOnly();
        /// <summary>Scales every element.</summary>
        public static Vec operator *(double a, Vec b) => throw DeclarationOnly();
        /// <summary>Divides every element by a constant.</summary>
        public static Vec operator /(Vec a, double b) => throw DeclarationOnly();
#pragma warning restore IDE0060

        internal static Exception DeclarationOnly() =>
            new InvalidOperationException("PrLstm declarations are read by the source generator and are never executed; call the "
                + "generated TorchSharp module instead.");
    }

    /// <summary>
    /// The functions a declaration body may call (use with <c>using static PrLstm.Dsl.Ops;</c>). All are
    /// elementwise and keep the size of their arguments.
    /// </summary>
    public static class Ops
    {
#pragma warning disable IDE0060
        /// <summary>Logistic sigmoid, 1 / (1 + e^-x).</summary>
        public static Vec Sigmoid(Vec x) => throw Vec.DeclarationOnly();
        /// <summary>Hyperbolic tangent.</summary>
        public static Vec Tanh(Vec x) => throw Vec.DeclarationOnly();
        /// <summary>max(x, 0).</summary>
        public static Vec Relu(Vec x) => throw Vec.DeclarationOnly();
        /// <summary>x itself (documents that no activation is applied).</summary>
        public static Vec Identity(Vec x) => throw Vec.DeclarationOnly();
        /// <summary>Elementwise maximum of two vectors of the same size.</summary>
        public static Vec Max(Vec a, Vec b) => throw Vec.DeclarationOnly();
        /// <summary>Elementwise minimum of two vectors of the same size.</summary>
        public static Vec Min(Vec a, Vec b) => throw Vec.DeclarationOnly();

        /// <summary>
        /// A learned affine map of an intermediate value, <c>W·x (+ b)</c>, with its own parameters
        /// (<c>{layer}.{name}.weight</c>, square: the result has the size of <paramref name="input"/>). Use it where a
        /// block needs more than its one gate projection, e.g. GRU's candidate <c>(r ⊙ h)·W + b</c>.
        /// </summary>
        /// <param name="name">The projection's parameter name: a C# identifier, unique in the block.</param>
        /// <param name="input">What to project.</param>
        /// <param name="bias">Whether the map has a bias.</param>
        public static Vec Linear(string name, Vec input, bool bias = true) => throw Vec.DeclarationOnly();

        /// <summary>
        /// Layer normalisation of an intermediate value over its features, with a learned scale and offset of its own
        /// (<c>{layer}.{name}.weight</c> and <c>.bias</c>, initialised to 1 and 0), e.g. on gate pre-activations.
        /// </summary>
        /// <param name="name">The normalisation's parameter name: a C# identifier, unique in the block.</param>
        /// <param name="input">What to normalise.</param>
        public static Vec LayerNorm(string name, Vec input) => throw Vec.DeclarationOnly();
#pragma warning restore IDE0060
    }
}
