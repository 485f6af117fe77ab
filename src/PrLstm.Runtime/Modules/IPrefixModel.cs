using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// A sequence model that returns one output vector per prefix: every generated parallel recursive model, and
/// the baselines. Task heads (readout to classes) wrap it.
/// </summary>
public interface IPrefixModel
{
    /// <summary>Size E of each token's input vector.</summary>
    long InputSize { get; }

    /// <summary>Size of each position's output vector.</summary>
    long OutputSize { get; }

    /// <summary>x <c>[B, T, E]</c> → <c>[B, T, OutputSize]</c>; position t depends on tokens 0..t.</summary>
    Tensor forward(Tensor x);

    /// <summary>
    /// The outputs at <paramref name="positions"/> alone (ascending, distinct): <c>[B, P, OutputSize]</c>, equal to those
    /// positions of <see cref="forward"/>. By default every position is computed and these are taken; generated models
    /// compute only the tree nodes the positions need.
    /// </summary>
    Tensor ForwardAt(Tensor x, IReadOnlyList<long> positions)
    {
        using var scope = NewDisposeScope();
        return Schedule.TimeAxis.Select(forward(x), positions).MoveToOuterDisposeScope();
    }
}
