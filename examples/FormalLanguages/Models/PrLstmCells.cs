// The PR-LSTM model of "Parallel Recursive LSTM" (arXiv 2605.17108), spec section 5, declared with the DSL.
// The generator turns these declarations into TorchSharp layers and the PrLstmModel module (obj/generated).
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace PrLstm.FormalLanguages.Models;

/// <summary>The PR-LSTM state: hidden h (read out) and cell c, both of size H.</summary>
[State]
public partial struct LstmState
{
    [Size("H")] public Vec h;
    [Size("H")] public Vec c;
}

/// <summary>Leaf: one Linear D → 3H per token, gates [i | g | o]; no forget gate and no recurrence.</summary>
[TokenEncoder]
public static partial class LstmLeaf
{
    public static LstmState Encode(Vec i, Vec g, Vec o)
    {
        var c = Sigmoid(i) * Tanh(g);
        return new LstmState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

/// <summary>Binary gated composition B(left, right): one Linear 2H → 5H on [h_left ; h_right], gates [i | g | o | f_left |
/// f_right].</summary>
[CompositionBlock(GatesFrom = "h")]
public static partial class LstmMerge
{
    public static LstmState Compose(LstmState left, LstmState right, Vec i, Vec g, Vec o, Vec fLeft, Vec fRight)
    {
        var c = Sigmoid(i) * Tanh(g) + Sigmoid(fLeft) * left.c + Sigmoid(fRight) * right.c;
        return new LstmState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

/// <summary>Unary refinement U_k: one Linear H → 4H on h, gates [i | g | o | f].</summary>
[RefinementBlock(GatesFrom = "h")]
public static partial class LstmRefine
{
    public static LstmState Refine(LstmState state, Vec i, Vec g, Vec o, Vec f)
    {
        var c = Sigmoid(i) * Tanh(g) + Sigmoid(f) * state.c;
        return new LstmState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

/// <summary>PR-LSTM: f(l, r) = U_K(... U_1(B(l, r))); K = refinements (0R / 1R / 2R = 0 / 1 / 2; default 1).</summary>
[ParallelRecursiveModel(Encoder = typeof(LstmLeaf), Block = typeof(LstmMerge), Refinement = typeof(LstmRefine), Refinements = 1)]
public partial class PrLstmModel
{
}
