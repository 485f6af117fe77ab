// The GRU-composition variant of spec section 5 ("--cell-name gru"), declared with the DSL: the combine
// f(l, r) is one haiku GRU step with input = l (the earlier segment) and state = r (the later segment):
//   [zr_x | a_x] = l·W_i ;  z, r_g = σ(zr_x + r·W_hz + b_z) ;  a = tanh(a_x + (r_g ⊙ r)·W_ha + b_a)
//   out = (1 - z) ⊙ r + z ⊙ a
// z and r_g come from one projection of [l ; r] with one bias (= l·W_i,zr + r·W_hz + b_z); a_x and the
// candidate's hidden part are the named projections below. Parameters: 6H² + 3H for the block, as haiku's.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace PrLstm.FormalLanguages.Models;

/// <summary>The PR-GRU state: one vector s of size H.</summary>
[State]
public partial struct GruState
{
    [Size("H")] public Vec s;
}

/// <summary>Leaf: Linear D → H, no nonlinearity.</summary>
[TokenEncoder]
public static partial class GruLeaf
{
    public static GruState Encode(Vec a) => new GruState { s = a };
}

/// <summary>One GRU step: input = left (earlier), state = right (later).</summary>
[CompositionBlock(GatesFrom = "s")]
public static partial class GruMerge
{
    public static GruState Compose(GruState left, GruState right, Vec update, Vec reset)
    {
        var z = Sigmoid(update);
        var r = Sigmoid(reset);
        var candidate = Tanh(Linear("inputCandidate", left.s, bias: false) + Linear("stateCandidate", r * right.s));
        return new GruState { s = (1 - z) * right.s + z * candidate };
    }
}

/// <summary>PR-GRU: no refinements (the reference allows only num_layers = 1 for this cell).</summary>
[ParallelRecursiveModel(Encoder = typeof(GruLeaf), Block = typeof(GruMerge))]
public partial class PrGruModel
{
}
