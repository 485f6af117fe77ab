namespace PrLstm.Runtime.Schedule;

/// <summary>
/// The time-axis members of <see cref="ITensorState{TSelf}"/> on the state types themselves: generated records
/// implement them through the interface, and these make them callable as <c>states.Slice(0, 1, 1)</c>.
/// </summary>
public static class TensorStateExtensions
{
    extension<TState>(TState state) where TState : ITensorState<TState>
    {
        /// <summary>Number of positions on the time axis (dimension 1 of every field).</summary>
        public long Length => Positions(state);

        /// <summary>Positions <c>start, start + step, ...</c> below <c>stop</c> of every field (views, no copy).</summary>
        public TState Slice(long start, long stop, long step) => SliceOf(state, start, stop, step);
    }

    // Through the interface constraint, so that the calls reach ITensorState's implementations, not these members.
    private static long Positions<TState>(TState state) where TState : IScanState<TState> => state.Length;

    private static TState SliceOf<TState>(TState state, long start, long stop, long step) where TState : IScanState<TState> =>
        state.Slice(start, stop, step);
}
