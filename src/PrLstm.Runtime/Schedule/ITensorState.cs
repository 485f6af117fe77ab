using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// A scan state made of tensors, one per declared field: what generated <c>State.Tensors</c> records implement so
/// that runtime code can hold, save and restore states without knowing their fields (<see cref="Modules.ModelStream{TState}"/>).
/// </summary>
public interface ITensorState<TSelf> : IScanState<TSelf>, IDisposable where TSelf : ITensorState<TSelf>
{
    /// <summary>The fields' names, in declaration order.</summary>
    static abstract IReadOnlyList<string> FieldNames { get; }

    /// <summary>The fields' tensors, in declaration order.</summary>
    IReadOnlyList<Tensor> Fields { get; }

    /// <summary>A state from its fields' tensors, in declaration order.</summary>
    static abstract TSelf FromFields(IReadOnlyList<Tensor> fields);

    /// <summary>Drops the time axis of a one-position state: fields <c>[B, 1, size]</c> to <c>[B, size]</c> (views).</summary>
    TSelf SqueezeTime();

    /// <summary>Takes every field out of its dispose scope: the caller now owns the tensors and disposes them.</summary>
    TSelf DetachFromDisposeScope();
}
