// Blocks declared only for tests: associative combines (sum, max), for which every bracketing gives the same
// result, so the tree scan must agree with the sequential fold.
using PrLstm.Dsl;
using static PrLstm.Dsl.Ops;

namespace PrLstm.IntegrationTests;

[State]
public partial struct SumState
{
    [Size("H")] public Vec v;
}

[TokenEncoder]
public static partial class SumLeaf
{
    public static SumState Encode(Vec a) => new SumState { v = a };
}

[CompositionBlock]
public static partial class SumMerge
{
    public static SumState Compose(SumState left, SumState right) => new SumState { v = left.v + right.v };
}

[CompositionBlock]
public static partial class MaxMerge
{
    public static SumState Compose(SumState left, SumState right) => new SumState { v = Max(left.v, right.v) };
}

[ParallelRecursiveModel(Encoder = typeof(SumLeaf), Block = typeof(SumMerge))]
public partial class SumModel
{
}

[ParallelRecursiveModel(Encoder = typeof(SumLeaf), Block = typeof(MaxMerge))]
public partial class MaxModel
{
}
