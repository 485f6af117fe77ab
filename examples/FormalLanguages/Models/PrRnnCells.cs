// PR-RNN (spec section 5, "--cell-name rnn"), declared with the DSL: a single-field state.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace PrLstm.FormalLanguages.Models;

/// <summary>The PR-RNN state: one vector s of size H.</summary>
[State]
public partial struct RnnState
{
    [Size("H")] public Vec s;
}

/// <summary>Leaf: s_t = W x_t + b (Linear D → H, no nonlinearity).</summary>
[TokenEncoder]
public static partial class RnnLeaf
{
    public static RnnState Encode(Vec a) => new RnnState { s = Identity(a) };
}

/// <summary>Binary: relu(W_B [s_l ; s_r] + b_B), Linear 2H → H.</summary>
[CompositionBlock]
public static partial class RnnMerge
{
    public static RnnState Compose(RnnState left, RnnState right, Vec a) => new RnnState { s = Relu(a) };
}

/// <summary>Unary k: relu(W_k s + b_k), Linear H → H.</summary>
[RefinementBlock]
public static partial class RnnRefine
{
    public static RnnState Refine(RnnState state, Vec a) => new RnnState { s = Relu(a) };
}

/// <summary>PR-RNN with K refinements (default 1).</summary>
[ParallelRecursiveModel(Encoder = typeof(RnnLeaf), Block = typeof(RnnMerge), Refinement = typeof(RnnRefine), Refinements = 1)]
public partial class PrRnnModel
{
}
