using static TorchSharp.torch;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// The gradients a custom backward (TorchSharp's <c>MultiTensorFunction</c>) returns. libtorch takes its own reference
/// to each one only after the callback has returned, so the managed handle must outlive the callback; but left to the
/// dispose scope around <c>backward()</c> (or to the garbage collector when there is none) it keeps the gradient alive
/// until that scope ends: every gradient of every custom node of a training step at once. Each custom backward on a
/// thread therefore releases the handles the previous one on that thread handed over; at most one node's handles wait.
/// </summary>
internal static class HandedToAutograd
{
    [ThreadStatic] private static List<Tensor>? _waiting;

    /// <summary>Releases the handles the previous custom backward on this thread returned (libtorch holds the tensors).</summary>
    public static void ReleasePrevious()
    {
        if (_waiting is not { Count: > 0 } waiting) return;
        foreach (Tensor gradient in waiting) gradient.Dispose();
        waiting.Clear();
    }

    /// <summary>Keeps <paramref name="gradients"/>' handles until the next custom backward on this thread; returns them.</summary>
    public static List<Tensor> Hand(List<Tensor> gradients)
    {
        _waiting ??= new List<Tensor>();
        foreach (Tensor? gradient in gradients)
            if (gradient is not null) _waiting.Add(gradient);
        return gradients;
    }
}
