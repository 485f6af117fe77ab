using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// A combine whose calls are recomputed in the backward (<see cref="Recomputation"/>) when it has the parameters to
/// do so, and a plain call of the inner combine otherwise (no option, no gradient: <see cref="CpuChunking.Around"/>).
/// </summary>
public readonly struct Recomputed<TState, TCombine> : IScanCombine<TState>
    where TState : ITensorState<TState>
    where TCombine : IScanCombine<TState>
{
    private readonly TCombine inner;
    private readonly Tensor[]? parameters;

    /// <param name="inner">The combine.</param>
    /// <param name="parameters">The parameters it reads, to recompute its calls; null for plain calls.</param>
    public Recomputed(TCombine inner, Tensor[]? parameters)
    {
        this.inner = inner;
        this.parameters = parameters;
    }

    /// <inheritdoc/>
    public TState Combine(TState left, TState right) =>
        parameters is null ? inner.Combine(left, right) : Recomputation.Combine<TState, TCombine>(inner, left, right, parameters);
}
