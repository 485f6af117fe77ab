using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Tasks;

/// <summary>
/// A batch of one task at one length, as the model sees it (spec 1.1): the one-hot input widened by one channel,
/// followed by L "empty output" slots one-hot at that channel, <c>[B, T = n' + L, V + 1]</c>; the targets
/// <c>[B, L]</c> and the accuracy mask <c>[B, L]</c>. Owns its tensors.
/// </summary>
public sealed class TaskBatch : IDisposable
{
    private TaskBatch(FormalTask task, Tensor input, Tensor target, Tensor mask, int inputLength, IReadOnlyList<TaskSample> samples)
    {
        Task = task;
        Input = input;
        Target = target;
        Mask = mask;
        InputLength = inputLength;
        Samples = samples;
    }

    public FormalTask Task { get; }

    /// <summary>Model input <c>[B, n' + L, V + 1]</c>.</summary>
    public Tensor Input { get; }

    /// <summary>Target classes <c>[B, L]</c> (int64).</summary>
    public Tensor Target { get; }

    /// <summary>Accuracy mask <c>[B, L]</c> (1 where a position counts).</summary>
    public Tensor Mask { get; }

    /// <summary>n': the number of input tokens before the output slots.</summary>
    public int InputLength { get; }

    /// <summary>L: the number of output slots.</summary>
    public int OutputLength => (int)Target.shape[1];

    public IReadOnlyList<TaskSample> Samples { get; }

    /// <summary>Draws a batch of length n from the task and encodes it.</summary>
    public static TaskBatch Sample(FormalTask task, TaskRandom random, int batchSize, int n, Device? device = null,
        ScalarType dtype = ScalarType.Float32) =>
        FromSamples(task, task.SampleBatch(random, batchSize, n), device, dtype);

    /// <summary>Encodes samples that all have the same input length.</summary>
    public static TaskBatch FromSamples(FormalTask task, IReadOnlyList<TaskSample> samples, Device? device = null,
        ScalarType dtype = ScalarType.Float32)
    {
        int batch = samples.Count, inputLength = samples[0].Input.Length;
        int outputLength = task.OutputLength(inputLength);
        int channels = task.InputSize + 1, length = inputLength + outputLength;
        var oneHot = new float[batch * length * channels];
        var targets = new long[batch * outputLength];
        var masks = new float[batch * outputLength];
        for (int b = 0; b < batch; b++)
        {
            var sample = samples[b];
            if (sample.Input.Length != inputLength || sample.Target.Length != outputLength)
                throw new ArgumentException("every sample of a batch must have the same input and output lengths", nameof(samples));
            for (int t = 0; t < length; t++)
            {
                int channel = t < inputLength ? sample.Input[t] : task.InputSize; // the empty-slot channel
                oneHot[(b * length + t) * channels + channel] = 1;
            }
            var mask = task.Mask(sample.Target);
            for (int t = 0; t < outputLength; t++)
            {
                targets[b * outputLength + t] = sample.Target[t];
                masks[b * outputLength + t] = mask[t];
            }
        }
        device ??= CPU;
        return new TaskBatch(task,
            tensor(oneHot, new long[] { batch, length, channels }, dtype).to(device),
            tensor(targets, new long[] { batch, outputLength }).to(device),
            tensor(masks, new long[] { batch, outputLength }, dtype).to(device),
            inputLength, samples);
    }

    /// <summary>The positions the loss and the accuracy read: the L output slots after the n' input tokens.</summary>
    public long[] OutputPositions => Enumerable.Range(InputLength, OutputLength).Select(t => (long)t).ToArray();

    /// <summary>
    /// The logits of the output slots, <c>[B, L, C]</c>: a <see cref="TaskModel"/> computes only those positions
    /// (<see cref="TaskModel.ForwardAt"/>); any other model computes every position and they are taken.
    /// </summary>
    public Tensor OutputLogitsOf(nn.Module<Tensor, Tensor> model) => OutputLogitsOf(model, Input);

    /// <summary>
    /// <see cref="OutputLogitsOf(nn.Module{Tensor, Tensor})"/> for another input laid out as this batch's (the same input and
    /// output lengths), e.g. several sub-batches of one length joined along the batch: <c>[B', L, C]</c>.
    /// </summary>
    public Tensor OutputLogitsOf(nn.Module<Tensor, Tensor> model, Tensor input) =>
        model is TaskModel taskModel ? taskModel.ForwardAt(input, OutputPositions) : OutputLogits(model.forward(input));

    /// <summary>The logits of the output slots: <c>[B, T, C]</c> → <c>[B, L, C]</c>.</summary>
    public Tensor OutputLogits(Tensor logits) => logits.slice(1, InputLength, InputLength + OutputLength, 1);

    /// <summary>
    /// The training loss: softmax cross-entropy of every output position, padding included (never masked),
    /// averaged over the batch and the positions.
    /// </summary>
    public Tensor Loss(Tensor outputLogits) =>
        nn.functional.cross_entropy(outputLogits.reshape(-1, outputLogits.shape[2]), Target.reshape(-1));

    /// <summary>Token accuracy pooled over the batch: sum(mask ⊙ correct) / sum(mask).</summary>
    public double Accuracy(Tensor outputLogits)
    {
        using var scope = NewDisposeScope();
        var correct = outputLogits.argmax(2).eq(Target).to_type(Mask.dtype);
        return ((correct * Mask).sum() / Mask.sum()).ToDouble();
    }

    public void Dispose()
    {
        Input.Dispose();
        Target.Dispose();
        Mask.Dispose();
    }
}
