// A composition-block variant declared from scratch: coupled gates. Instead of two free forget gates, the
// children share what the input gate leaves over (1 - i), split between them by a learned mixing gate, so
// the new cell is a convex combination of the candidate and the children's cells and cannot grow without bound.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace CustomBlock;

[State]
public partial struct CellState
{
    [Size("H")] public Vec h;
    [Size("H")] public Vec c;
}

[TokenEncoder]
public static partial class CellLeaf
{
    public static CellState Encode(Vec i, Vec g, Vec o)
    {
        var c = Sigmoid(i) * Tanh(g);
        return new CellState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

[CompositionBlock(GatesFrom = "h")]
public static partial class CoupledMerge
{
    public static CellState Compose(CellState left, CellState right, Vec i, Vec g, Vec o, Vec mix)
    {
        var write = Sigmoid(i);
        var share = Sigmoid(mix);
        var c = write * Tanh(g) + (1 - write) * (share * left.c + (1 - share) * right.c);
        return new CellState { h = Sigmoid(o) * Tanh(c), c = c };
    }
}

[ParallelRecursiveModel(Encoder = typeof(CellLeaf), Block = typeof(CoupledMerge))]
public partial class CoupledModel
{
}
