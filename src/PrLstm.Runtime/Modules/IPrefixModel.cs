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
}
