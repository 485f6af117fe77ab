// A composition block declared from scratch in a project of its own: the "highway max" block that
// docs/new-block.md walks through. The block keeps the elementwise maximum of its two children where the carry
// gate says so, and writes a new candidate elsewhere.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace CustomBlock;

[State]
public partial struct MaxState
{
    [Size("H")] public Vec h;
}

[TokenEncoder]
public static partial class MaxLeaf
{
    public static MaxState Encode(Vec a) => new MaxState { h = Tanh(a) };
}

[CompositionBlock]
public static partial class HighwayMax
{
    public static MaxState Compose(MaxState left, MaxState right, Vec carry, Vec candidate)
    {
        var t = Sigmoid(carry);
        return new MaxState { h = t * Max(left.h, right.h) + (1 - t) * Tanh(candidate) };
    }
}

[ParallelRecursiveModel(Encoder = typeof(MaxLeaf), Block = typeof(HighwayMax))]
public partial class HighwayMaxModel
{
}
