// Composition-block variants declared purely with the DSL (docs/variants.md). They reuse PR-LSTM's state,
// encoder and refinement where they can, so only the composition differs.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace PrLstm.FormalLanguages.Models;

/// <summary>
/// Coupled gates: the children share what the input gate leaves over, 1 - i, split between them by a mixing gate,
/// so the new cell is a convex combination of the candidate and the children's cells and cannot grow without bound.
/// </summary>
[CompositionBlock(GatesFrom = "h")]
public static partial class CoupledMerge
{
    public static LstmState Compose(LstmState left, LstmState right, Vec i, Vec g, Vec o, Vec mix)
    {
        var write = Sigmoid(i);
        var share = Sigmoid(mix);
        var c = write * Tanh(g) + (1 - write) * (share * left.c + (1 - share) * right.c);
        return new LstmState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

[ParallelRecursiveModel(Encoder = typeof(LstmLeaf), Block = typeof(CoupledMerge), Refinement = typeof(LstmRefine), Refinements = 1)]
public partial class PrCoupledModel
{
}

/// <summary>Peephole composition: the children's cell states feed the gates too, [left.h ; left.c ; right.h ; right.c] → 5 gates.</summary>
[CompositionBlock(GatesFrom = "h, c")]
public static partial class PeepholeMerge
{
    public static LstmState Compose(LstmState left, LstmState right, Vec i, Vec g, Vec o, Vec fLeft, Vec fRight)
    {
        var c = Sigmoid(i) * Tanh(g) + Sigmoid(fLeft) * left.c + Sigmoid(fRight) * right.c;
        return new LstmState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

[ParallelRecursiveModel(Encoder = typeof(LstmLeaf), Block = typeof(PeepholeMerge), Refinement = typeof(LstmRefine), Refinements = 1)]
public partial class PrPeepholeModel
{
}

/// <summary>The minimal variant's state: one vector.</summary>
[State]
public partial struct MinState
{
    [Size("H")] public Vec h;
}

/// <summary>Leaf: a linear map of the token, no nonlinearity.</summary>
[TokenEncoder]
public static partial class MinLeaf
{
    public static MinState Encode(Vec a) => new MinState { h = a };
}

/// <summary>
/// Minimal gated composition (minGRU spirit): an update gate and a candidate, both linear in the children only,
/// no tanh on the state; h = (1 - z) ⊙ right.h + z ⊙ candidate. The cheapest gated block: 2H x 2H parameters.
/// </summary>
[CompositionBlock]
public static partial class MinMerge
{
    public static MinState Compose(MinState left, MinState right, Vec update, Vec candidate)
    {
        var z = Sigmoid(update);
        return new MinState { h = (1 - z) * right.h + z * candidate };
    }
}

[ParallelRecursiveModel(Encoder = typeof(MinLeaf), Block = typeof(MinMerge))]
public partial class PrMinimalModel
{
}

/// <summary>
/// Layer-normalised composition (after Ba et al.'s LN-LSTM): every gate pre-activation and the cell before its tanh
/// are normalised over their features, each with its own learned scale and offset.
/// </summary>
[CompositionBlock(GatesFrom = "h")]
public static partial class LayerNormMerge
{
    public static LstmState Compose(LstmState left, LstmState right, Vec i, Vec g, Vec o, Vec fLeft, Vec fRight)
    {
        var c = Sigmoid(LayerNorm("normI", i)) * Tanh(LayerNorm("normG", g))
            + Sigmoid(LayerNorm("normFLeft", fLeft)) * left.c + Sigmoid(LayerNorm("normFRight", fRight)) * right.c;
        return new LstmState { h = Sigmoid(LayerNorm("normO", o)) * Tanh(LayerNorm("normC", c)), c = c };
    }
}

[ParallelRecursiveModel(Encoder = typeof(LstmLeaf), Block = typeof(LayerNormMerge), Refinement = typeof(LstmRefine), Refinements = 1)]
public partial class PrLayerNormModel
{
}
