using System;

namespace PrLstm.Dsl
{
    /// <summary>
    /// Declares a recurrent state: a <c>partial struct</c> whose public <see cref="Vec"/> fields, each with a
    /// <see cref="SizeAttribute"/>, are the state's tensors. The generator adds a nested <c>Tensors</c> record
    /// holding one tensor per field (shape <c>[B, T, size]</c>).
    /// </summary>
    /// <example><code>
    /// [State]
    /// public partial struct LstmState
    /// {
    ///     [Size("H")] public Vec h;   // hidden, read out by the model (the first field, unless [Output] says otherwise)
    ///     [Size("H")] public Vec c;   // cell
    /// }
    /// </code></example>
    [AttributeUsage(AttributeTargets.Struct, Inherited = false)]
    public sealed class StateAttribute : Attribute
    {
    }

    /// <summary>
    /// The symbolic size of a state field or a gate (<c>"H"</c>, <c>"M"</c>, ...). Sizes are names: the
    /// generator checks that every elementwise operation combines equal names; the numbers are given when the
    /// model is constructed (<c>new PrLstm(inputSize: 3, H: 256)</c>). A size must be a C# identifier.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false)]
    public sealed class SizeAttribute : Attribute
    {
        /// <param name="name">The size's name, a C# identifier such as <c>"H"</c>.</param>
        public SizeAttribute(string name) => Name = name;

        /// <summary>The size's name.</summary>
        public string Name { get; }
    }

    /// <summary>
    /// Marks the state field that the model returns from <c>forward</c> (by default the first field).
    /// </summary>
    [AttributeUsage(AttributeTargets.Field, Inherited = false)]
    public sealed class OutputAttribute : Attribute
    {
    }
}
