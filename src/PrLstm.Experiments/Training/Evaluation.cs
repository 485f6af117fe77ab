using PrLstm.Experiments.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Training;

/// <summary>Accuracy at one test length: the plain mean of its sub-batch accuracies.</summary>
public sealed record LengthAccuracy(int Length, double Accuracy);

/// <summary>Per-length accuracies, from which the network score is computed.</summary>
/// <param name="Lengths">Accuracy at each length evaluated, in order.</param>
/// <param name="Stopped">Why evaluation ended early (e.g. out of memory), or null when every length ran.</param>
public sealed record EvaluationResult(IReadOnlyList<LengthAccuracy> Lengths, string? Stopped)
{
    /// <summary>
    /// The network score (spec section 4): the unweighted mean accuracy over the lengths beyond the training range
    /// (41..500 after training on 1..40); lengths inside it may be evaluated for the plot. With no such length, every
    /// evaluated length counts; with none at all, NaN.
    /// </summary>
    public double NetworkScore(int maxTrainLength)
    {
        var beyond = Lengths.Where(l => l.Length > maxTrainLength).ToList();
        var counted = beyond.Count > 0 ? beyond : Lengths;
        return counted.Count == 0 ? double.NaN : counted.Average(l => l.Accuracy);
    }
}

/// <summary>
/// The test protocol of spec section 4: for each length, <c>batches</c> sub-batches of <c>batchSize</c> fresh
/// sequences (sampler reseeded), the masked pooled accuracy of each, averaged; the network score is the
/// unweighted mean over the lengths. An out-of-memory error stops the loop; the lengths done are kept. Cancellation
/// throws <see cref="OperationCanceledException"/>: an interrupted evaluation is never returned as a result.
/// </summary>
public static class Evaluation
{
    public static EvaluationResult Run(nn.Module<Tensor, Tensor> model, FormalTask task, IReadOnlyList<int> lengths, int batches = 8,
        int batchSize = 64,
        ulong seed = 1, Device? device = null, Action<LengthAccuracy>? progress = null, CancellationToken cancellation = default,
        Action<int, int>? subBatchDone = null)
    {
        if (lengths.Count == 0) throw new ArgumentException("no test lengths were given", nameof(lengths));
        if (batches < 1 || batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batches),
            "batches and batchSize must be at least 1");
        var random = new TaskRandom(seed);
        var results = new List<LengthAccuracy>();
        string? stopped = null;
        bool wasTraining = model.training;
        model.eval();
        var dtype = model.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        try
        {
            using var noGrad = no_grad();
            foreach (int length in lengths)
            {
                double sum = 0;
                try
                {
                    for (int b = 0; b < batches; b++)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        using var scope = NewDisposeScope();
                        using var batch = TaskBatch.Sample(task, random, batchSize, length, device, dtype);
                        sum += batch.Accuracy(batch.OutputLogitsOf(model));
                        subBatchDone?.Invoke(length, b + 1);
                    }
                }
                catch (Exception e) when (OutOfMemory.Is(e))
                {
                    stopped = $"{OutOfMemory.Describe(e)} at length {length}";
                    break;
                }
                var result = new LengthAccuracy(length, sum / batches);
                results.Add(result);
                progress?.Invoke(result);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return new EvaluationResult(results, stopped);
    }
}
