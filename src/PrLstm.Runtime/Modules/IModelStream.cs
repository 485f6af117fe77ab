using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// A model reading sequences one token at a time: after each token it gives the output for the prefix read so far.
/// The rows of a batch advance together (every push gives every row one token). A stream is for inference: it
/// records no gradient.
/// </summary>
public interface IModelStream : IDisposable
{
    /// <summary>Number of sequences B read side by side.</summary>
    long Batch { get; }

    /// <summary>Size E of each token's input vector.</summary>
    long InputSize { get; }

    /// <summary>Number of tokens read so far (per row).</summary>
    long Position { get; }

    /// <summary>
    /// Reads one token per row, x <c>[B, E]</c>, and returns the output for the new prefix <c>[B, H]</c>; or N tokens
    /// per row, x <c>[B, N, E]</c>, returning <c>[B, N, H]</c>, the same as N single pushes. Bad input throws
    /// <see cref="ArgumentException"/> and leaves the stream unchanged.
    /// </summary>
    Tensor Push(Tensor x);

    /// <summary>What <see cref="Push"/> would return for <paramref name="x"/>, leaving the stream unchanged.</summary>
    Tensor Peek(Tensor x);

    /// <summary>Forgets every token read: the stream is as when it was opened.</summary>
    void Reset();

    /// <summary>
    /// Writes the stream's state to a file (atomically), so that <see cref="Restore"/> can continue it later, in this
    /// process or another; <paramref name="notes"/> are the caller's own strings, kept in the file's header.
    /// </summary>
    void Save(string path, IReadOnlyDictionary<string, string>? notes = null);

    /// <summary>
    /// Replaces the stream's state by one written by <see cref="Save"/>, from a stream of the same model, weights,
    /// batch and dtype; anything else throws <see cref="InvalidDataException"/> and leaves the stream unchanged.
    /// Returns the notes saved with it.
    /// </summary>
    IReadOnlyDictionary<string, string> Restore(string path);
}

/// <summary>A sequence model that can read its input one token at a time (<see cref="IModelStream"/>).</summary>
public interface IStreamingModel : IPrefixModel
{
    /// <summary>Opens a stream over <paramref name="batch"/> sequences, before any token.</summary>
    IModelStream OpenStream(long batch);
}
