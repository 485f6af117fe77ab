using System.Collections.Immutable;
using System.Globalization;
using PrLstm.Runtime.Schedule;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// A generated model reading one token at a time (its <c>OpenStream</c>): <see cref="PrefixStream"/> over the model's
/// token encoder and combine, so the output after token t equals position t of the model's <c>forward</c> (same
/// bracketing) at about two combines per token and O(log t) states of memory. The stream owns its states: every push
/// runs in its own dispose scope, keeps the blocks it creates and disposes the ones it drops. The rows of a batch
/// advance together. Not thread-safe; no gradient is recorded.
/// </summary>
/// <typeparam name="TState">The model's generated <c>State.Tensors</c> record.</typeparam>
public sealed class ModelStream<TState> : IModelStream where TState : ITensorState<TState>
{
    private const string Format = "prlstm-stream", FormatVersion = "1", NotePrefix = "note.";

    private readonly nn.Module model;
    private readonly Func<Tensor, TState> encode;
    private readonly IScanCombine<TState> combine;
    private readonly long[] fieldSizes;
    private readonly int outputField;
    private StreamStack<TState> stack = StreamStack<TState>.Empty;
    private bool disposed;

    /// <summary>Generated models call this from <c>OpenStream(batch)</c>.</summary>
    /// <param name="model">The model; its parameters fix the dtype and the device of the stream.</param>
    /// <param name="batch">Number of sequences B.</param>
    /// <param name="inputSize">Size E of a token's input vector.</param>
    /// <param name="fieldSizes">The size of each state field, in declaration order.</param>
    /// <param name="outputField">The index of the field that the model outputs.</param>
    /// <param name="encode">The token encoder: x <c>[B, N, E]</c> to leaf states with N positions.</param>
    /// <param name="combine">The combine operator f(left, right).</param>
    public ModelStream(nn.Module model, long batch, long inputSize, IReadOnlyList<long> fieldSizes, int outputField,
        Func<Tensor, TState> encode, IScanCombine<TState> combine)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelArguments.Positive(batch, nameof(batch));
        if (fieldSizes.Count != TState.FieldNames.Count)
            throw new ArgumentException($"{TState.FieldNames.Count} fields need {TState.FieldNames.Count} sizes, not {fieldSizes.Count}.",
                nameof(fieldSizes));
        ArgumentOutOfRangeException.ThrowIfNegative(outputField);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(outputField, fieldSizes.Count);
        this.model = model;
        Batch = batch;
        InputSize = inputSize;
        this.fieldSizes = fieldSizes.ToArray();
        this.outputField = outputField;
        this.encode = encode;
        this.combine = combine;
        (DType, Device) = ModelInput.StreamedParameters(model, nameof(model));
    }

    /// <inheritdoc/>
    public long Batch { get; }

    /// <inheritdoc/>
    public long InputSize { get; }

    /// <summary>Size H of each output vector.</summary>
    public long OutputSize => fieldSizes[outputField];

    /// <summary>The dtype of the model's parameters, which inputs must have.</summary>
    public ScalarType DType { get; }

    /// <summary>The device of the model's parameters, where inputs must be.</summary>
    public Device Device { get; }

    /// <inheritdoc/>
    public long Position => stack.Position;

    /// <summary>The sizes of the complete blocks the stream holds, oldest first: the binary digits of <see cref="Position"/>.</summary>
    public IReadOnlyList<long> BlockSizes => stack.Blocks.Select(b => b.Size).ToArray();

    /// <summary>
    /// Every field of the current prefix state, <c>[B, size]</c> (new tensor handles in the caller's dispose scope);
    /// equal to the last position of the model's <c>ScanStates</c> over the tokens read.
    /// </summary>
    public TState State
    {
        get
        {
            ThrowIfDisposed();
            return stack.Prefix.SqueezeTime();
        }
    }

    /// <inheritdoc/>
    public Tensor Push(Tensor x)
    {
        var (next, output) = Read(x, nameof(x));
        try
        {
            Commit(next);
        }
        catch
        {
            output.Dispose();
            throw;
        }
        return output;
    }

    /// <inheritdoc/>
    public Tensor Peek(Tensor x)
    {
        var (next, output) = Read(x, nameof(x));
        foreach (var block in BlocksNotIn(next, stack)) Release(block);
        return output;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        ThrowIfDisposed();
        Commit(StreamStack<TState>.Empty);
    }

    /// <summary>
    /// Reads the tokens into a new stack without committing it: every tensor it creates is in a dispose scope that
    /// ends here, except the output (moved to the caller's scope) and the new blocks (taken out of scope by Commit).
    /// </summary>
    private (StreamStack<TState> Next, Tensor Output) Read(Tensor x, string name)
    {
        ThrowIfDisposed();
        long tokens = ModelInput.ValidateTokens(x, Batch, InputSize, DType, Device, name);
        using var noGrad = no_grad();
        using var kernels = CompilerServices.FusedKernel.ForStream(Batch);
        using var scope = NewDisposeScope();
        var leaves = encode(x.dim() == 2 ? x.unsqueeze(1) : x);
        var next = stack;
        var outputs = new Tensor[tokens];
        for (long n = 0; n < tokens; n++)
        {
            var leaf = leaves.Slice(n, n + 1, 1);
            // A leaf kept as a block of size 1 must not hold the whole [B, N, ...] encoding alive.
            if (tokens > 1) leaf = TState.FromFields(leaf.Fields.Select(f => f.clone()).ToArray());
            next = PrefixStream.Push(next, leaf, combine);
            outputs[n] = next.Prefix.Fields[outputField];
        }
        var output = x.dim() == 2 ? outputs[0].squeeze(1) : tokens == 1 ? outputs[0].alias() : cat(outputs, 1);
        foreach (var block in BlocksNotIn(next, stack)) Detach(block);
        // Not committed yet: the new blocks are out of the scope, so a caller that drops `next` must release them.
        return (next, output.MoveToOuterDisposeScope());
    }

    /// <summary>Makes <paramref name="next"/> the stream's stack: disposes the blocks it drops.</summary>
    private void Commit(StreamStack<TState> next)
    {
        var dropped = BlocksNotIn(stack, next);
        stack = next;
        foreach (var block in dropped) Release(block);
    }

    /// <summary>Blocks of <paramref name="a"/> that <paramref name="b"/> does not hold.</summary>
    private static List<StreamBlock<TState>> BlocksNotIn(StreamStack<TState> a, StreamStack<TState> b)
    {
        var held = b.Blocks.IsDefault ? new HashSet<long>() : b.Blocks.Select(block => block.Id).ToHashSet();
        return a.Blocks.IsDefault ? new() : a.Blocks.Where(block => !held.Contains(block.Id)).ToList();
    }

    private static void Detach(StreamBlock<TState> block)
    {
        block.Tree.DetachFromDisposeScope();
        if (block.HasFold) block.Fold.DetachFromDisposeScope();
    }

    private static void Release(StreamBlock<TState> block)
    {
        block.Tree.Dispose();
        if (block.HasFold) block.Fold.Dispose();
    }

    /// <inheritdoc/>
    public void Save(string path, IReadOnlyDictionary<string, string>? notes = null)
    {
        ThrowIfDisposed();
        var names = TState.FieldNames;
        var tensors = new List<KeyValuePair<string, Tensor>>();
        using var scope = NewDisposeScope();
        for (int i = 0; i < stack.Blocks.Length; i++)
        {
            var block = stack.Blocks[i];
            var tree = block.Tree.SqueezeTime().Fields;
            var fold = block.HasFold ? block.Fold.SqueezeTime().Fields : null;
            for (int f = 0; f < names.Count; f++)
            {
                tensors.Add(new($"blocks.{i}.tree.{names[f]}", tree[f]));
                if (fold is not null) tensors.Add(new($"blocks.{i}.fold.{names[f]}", fold[f]));
            }
        }
        var header = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["version"] = FormatVersion,
            ["model"] = ModelName,
            ["fields"] = string.Join(",", names),
            ["field_sizes"] = string.Join(",", fieldSizes),
            ["batch"] = Batch.ToString(CultureInfo.InvariantCulture),
            ["dtype"] = DType.ToString(),
            ["position"] = Position.ToString(CultureInfo.InvariantCulture),
            ["block_sizes"] = string.Join(",", BlockSizes),
            ["weights_sha256"] = WeightsFingerprint.Of(model),
        };
        foreach (var (key, value) in notes ?? new Dictionary<string, string>())
            header[NotePrefix + key] = value;
        Safetensors.Write(path, tensors, header);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Restore(string path)
    {
        ThrowIfDisposed();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long position = 0;
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        var stored = Safetensors.Read(path,
            header => (position, metadata) = (CheckHeader(path, header.Metadata, header.Tensors), header.Metadata));
        var names = TState.FieldNames;
        var blocks = ImmutableArray.CreateBuilder<StreamBlock<TState>>();
        var sizes = PrefixStream.BlockSizes(position);
        for (int i = 0; i < sizes.Length; i++)
        {
            TState State(string part)
                => TState.FromFields(names.Select(n => stored[$"blocks.{i}.{part}.{n}"].to(Device).unsqueeze(1)).ToArray());
            blocks.Add(new StreamBlock<TState>(State("tree"), sizes[i], i == 0 ? default! : State("fold"), HasFold: i > 0, i));
        }
        var next = new StreamStack<TState>(blocks.ToImmutable(), position, sizes.Length);
        foreach (var block in next.Blocks) Detach(block);
        Commit(next);
        return metadata.Where(kv => kv.Key.StartsWith(NotePrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[NotePrefix.Length..], kv => kv.Value);
    }

    /// <summary>Validates a saved stream as a whole against this one; returns its position.</summary>
    private long CheckHeader(string path, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyDictionary<string, SafetensorsEntry> stored)
    {
        InvalidDataException Refuse(string why) => new($"'{path}' cannot be restored into this stream: {why}.");
        string Get(string key) => metadata.TryGetValue(key, out var value) ? value : throw Refuse($"its header has no '{key}'");
        void Expect(string key, string expected, string what)
        {
            string actual = Get(key);
            if (actual != expected) throw Refuse($"it was saved {what} '{actual}', this stream has '{expected}'");
        }

        if (Get("format") != Format) throw Refuse($"it is not a saved stream (format '{Get("format")}')");
        Expect("version", FormatVersion, "in format version");
        Expect("model", ModelName, "from model");
        Expect("fields", string.Join(",", TState.FieldNames), "with fields");
        Expect("field_sizes", string.Join(",", fieldSizes), "with field sizes");
        Expect("batch", Batch.ToString(CultureInfo.InvariantCulture), "with batch");
        Expect("dtype", DType.ToString(), "with dtype");
        if (Get("weights_sha256") != WeightsFingerprint.Of(model))
            throw Refuse("it was saved with other weights than this model's");
        if (!long.TryParse(Get("position"), NumberStyles.None, CultureInfo.InvariantCulture, out long position))
            throw Refuse($"its position '{Get("position")}' is not a count of tokens");
        var sizes = PrefixStream.BlockSizes(position);
        Expect("block_sizes", string.Join(",", sizes), "with block sizes");

        var names = TState.FieldNames;
        var expected = new Dictionary<string, long>();
        for (int i = 0; i < sizes.Length; i++)
            for (int f = 0; f < names.Count; f++)
            {
                expected[$"blocks.{i}.tree.{names[f]}"] = fieldSizes[f];
                if (i > 0) expected[$"blocks.{i}.fold.{names[f]}"] = fieldSizes[f];
            }
        var missing = expected.Keys.Where(k => !stored.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = stored.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw Refuse(string.Join("; ", missing.Select(k => $"missing '{k}'").Concat(unexpected.Select(k => $"unexpected '{k}'"))));
        foreach (var (name, size) in expected)
        {
            var tensor = stored[name];
            if (tensor.DType != DType)
                throw Refuse($"'{name}' has dtype {tensor.DType}, the stream {DType}");
            if (!tensor.Shape.SequenceEqual(new[] { Batch, size }))
                throw Refuse($"'{name}' has shape [{string.Join(", ", tensor.Shape)}], expected [{Batch}, {size}]");
        }
        return position;
    }

    private string ModelName => model.GetType().FullName ?? model.GetType().Name;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>Disposes every state the stream holds.</summary>
    public void Dispose()
    {
        if (disposed) return;
        Commit(StreamStack<TState>.Empty);
        disposed = true;
    }
}
