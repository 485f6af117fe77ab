using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>The sequential baseline: s_0 = x_0, s_t = f(s_{t-1}, x_t), left to right (T - 1 combines in a row).</summary>
public static class SequentialFold
{
    /// <summary>All prefix states of the left-to-right fold.</summary>
    public static TState Prefix<TState, TCombine>(TState elements, TCombine f)
        where TState : IScanState<TState>
        where TCombine : IScanCombine<TState>
    {
        long length = elements.Length;
        using var scope = NewDisposeScope();
        var states = new List<TState>((int)length);
        TState state = elements.Slice(0, 1, 1);
        states.Add(state);
        for (long t = 1; t < length; t++)
        {
            state = f.Combine(state, elements.Slice(t, t + 1, 1));
            states.Add(state);
        }
        return TState.Concat(states).MoveToOuterDisposeScope();
    }
}
