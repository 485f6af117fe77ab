using PrLstm.Generators.Check;
using PrLstm.Generators.Model;
using PrLstm.Generators.Tables;

namespace PrLstm.Generators.Plan
{
    /// <summary>
    /// One operation of a layer's plan with its inputs: a tree, so every temporary has exactly one consumer. Leaves are
    /// constants, gates, state fields, locals and named gate activations.
    /// </summary>
    /// <param name="Size">The size name of the value; <see cref="Sizes.Scalar"/> for a number.</param>
    internal sealed record Node(Op Op, EquatableArray<Node> Inputs, string Size)
    {
        /// <summary>The number of a <see cref="Op.Constant"/>.</summary>
        public double Value { get; init; }

        /// <summary>The gate, local, state parameter or learned operation's weights this node names.</summary>
        public string Name { get; init; } = "";

        /// <summary>The field of a <see cref="Op.Field"/> node (<see cref="Name"/> is the state parameter).</summary>
        public string Field { get; init; } = "";

        /// <summary>Whether a Linear has a bias.</summary>
        public bool Bias { get; init; }

        /// <summary>For <see cref="Op.GateActivation"/>: which activation (Sigmoid or Tanh).</summary>
        public Op Activation { get; init; }

        /// <summary>Whether the value is a fresh temporary its one consumer may overwrite (every operation's result is;
        /// names and constants are not).</summary>
        public bool Owned { get; init; }

        /// <summary>Whether the operation writes its result into its first input, which is then <see cref="Owned"/>.
        /// Set only by <see cref="Passes.WriteInPlace"/>.</summary>
        public bool InPlace { get; init; }

        public bool IsScalar => Size == Sizes.Scalar;

        public static Node Leaf(Op op, string size) => new(op, EquatableArray<Node>.Empty, size);

        public static Node Operation(Op op, string size, params Node[] inputs) => new(op, inputs.ToEquatableArray(), size) { Owned = true };
    }

    /// <summary>Whether a statement declares a local or gives a field of the returned state.</summary>
    internal enum StatementKind
    {
        Local,
        Field,
    }

    /// <summary>One statement of the body: <c>var Target = Value;</c> or the field Target of the result.</summary>
    /// <param name="Source">The declaration's statement it implements, as written.</param>
    /// <param name="Alias">For a field whose value is a name already returned or an input: return an alias (fields must
    /// be distinct tensors the caller owns).</param>
    internal sealed record Statement(StatementKind Kind, string Target, Node Value, string Source, bool Alias = false);

    /// <summary>A gate of the plan: its chunk of the projection and how the body reads it.</summary>
    /// <param name="ReadRaw">Whether some use reads the gate itself (so its chunk is a local).</param>
    /// <param name="Activation">Sigmoid or Tanh when the gate's activation is a named local of its own; otherwise null.</param>
    internal sealed record GatePlan(string Name, string Size, int Index, bool ReadRaw, Op? Activation);

    /// <summary>Adjacent gates whose activation one call computes over their part of the projection.</summary>
    internal sealed record ActivationRun(Op Activation, EquatableArray<int> Gates);

    /// <summary>
    /// A checked layer lowered to typed statements, for one of the two forward paths: with a gradient (every
    /// operation allocates) or without one (<see cref="InPlace"/>: operations write into the temporaries they own).
    /// </summary>
    /// <param name="ActivateAllInPlace">Whether every gate is read only through one activation, so the path without a
    /// gradient activates the whole projection in place, in one pass (Elementwise.ActivateGatesInPlace).</param>
    internal sealed record LayerPlan(
        CheckedLayer Layer,
        bool InPlace,
        EquatableArray<GatePlan> Gates,
        EquatableArray<ActivationRun> Runs,
        bool ActivateAllInPlace,
        EquatableArray<Statement> Statements)
    {
        public LayerSpec Spec => Layer.Spec;
    }
}
