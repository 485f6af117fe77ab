using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// A stream for any <see cref="IPrefixModel"/> that cannot read one token at a time (the LSTM, RNN and Transformer
/// baselines): it keeps every token and runs the model over the whole prefix at each push, O(t) per token. Its state
/// cannot be saved; generated models stream with <see cref="ModelStream{TState}"/> instead.
/// </summary>
public sealed class RecomputingStream : IModelStream
{
    private readonly nn.Module<Tensor, Tensor> model;
    private readonly ScalarType dtype;
    private readonly Device device;
    private Tensor? tokens; // [B, t, E], out of every dispose scope
    private bool disposed;

    /// <param name="model">A module implementing <see cref="IPrefixModel"/>.</param>
    /// <param name="batch">Number of sequences B.</param>
    public RecomputingStream(nn.Module<Tensor, Tensor> model, long batch)
    {
        if (model is not IPrefixModel prefix)
            throw new ArgumentException($"{model.GetType().Name} does not implement IPrefixModel", nameof(model));
        ModelArguments.Positive(batch, nameof(batch));
        this.model = model;
        Batch = batch;
        InputSize = prefix.InputSize;
        (dtype, device) = ModelInput.StreamedParameters(model, nameof(model));
    }

    /// <inheritdoc/>
    public long Batch { get; }

    /// <inheritdoc/>
    public long InputSize { get; }

    /// <inheritdoc/>
    public long Position => tokens?.size(1) ?? 0;

    /// <inheritdoc/>
    public Tensor Push(Tensor x)
    {
        var (all, output) = Read(x);
        tokens?.Dispose();
        tokens = all;
        return output;
    }

    /// <inheritdoc/>
    public Tensor Peek(Tensor x)
    {
        var (all, output) = Read(x);
        all.Dispose();
        return output;
    }

    private (Tensor All, Tensor Output) Read(Tensor x)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        long n = ModelInput.ValidateTokens(x, Batch, InputSize, dtype, device, nameof(x));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var read = x.dim() == 2 ? x.unsqueeze(1) : x;
        var all = tokens is null ? read.clone() : cat(new[] { tokens, read }, 1);
        var outputs = model.forward(all).narrow(1, all.size(1) - n, n);
        var output = x.dim() == 2 ? outputs.squeeze(1) : outputs;
        return (all.DetachFromDisposeScope(), output.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public void Reset()
    {
        tokens?.Dispose();
        tokens = null;
    }

    /// <inheritdoc/>
    public void Save(string path, IReadOnlyDictionary<string, string>? notes = null) =>
        throw new NotSupportedException($"A stream of {model.GetType().Name} cannot be saved: only generated (pr-*) models keep a state "
            + $"that can.");

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Restore(string path) =>
        throw new NotSupportedException($"A stream of {model.GetType().Name} cannot be restored: only generated (pr-*) models keep a "
            + $"state that can.");

    /// <inheritdoc/>
    public void Dispose()
    {
        Reset();
        disposed = true;
    }
}
