using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// The last prefix of <see cref="TreeScan.Prefix"/> alone, with the same bracketing, computing only the nodes it
/// needs (about T combines instead of 2T). From the closed form of that bracketing: the tree of the last position
/// T - 1 is f(tree(T - 2), x[T-1]) when T - 1 is even, and the same construction over the pairs
/// f(x[2k], x[2k+1]) when it is odd.
/// </summary>
public static class Reduce
{
    /// <summary>The state of the whole sequence, as a state with one position.</summary>
    public static TState Final<TState, TCombine>(TState elements, TCombine f)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        long length = elements.Length;
        if (length == 1)
            return elements;

        using var scope = NewDisposeScope();
        TState result;
        if (length % 2 == 1)
        {
            result = f.Combine(Final(elements.Slice(0, length - 1, 1), f), elements.Slice(length - 1, length, 1));
        }
        else
        {
            var (left, right) = elements.Pairs(length / 2);
            result = Final(f.Combine(left, right), f);
        }
        return result.MoveToOuterDisposeScope();
    }
}
