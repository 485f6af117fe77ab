using PrLstm.Experiments.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Training;

/// <summary>Accuracy at one test length: the plain mean of its sub-batch accuracies.</summary>
public sealed record LengthAccuracy(int Length, double Accuracy);

/// <summary>Per-length accuracies and the network score (their unweighted mean).</summary>
/// <param name="Lengths">Accuracy at each length evaluated, in order.</param>
/// <param name="Score">The network score: the unweighted mean of the per-length accuracies.</param>
/// <param name="Stopped">Why evaluation ended early (e.g. out of memory), or null when every length ran.</param>
public sealed record EvaluationResult(IReadOnlyList<LengthAccuracy> Lengths, double Score, string? Stopped);

/// <summary>
/// The test protocol of spec section 4: for each length, <c>batches</c> sub-batches of <c>batchSize</c> fresh
/// sequences (sampler reseeded), the masked pooled accuracy of each, averaged; the network score is the
/// unweighted mean over the lengths. An out-of-memory error stops the loop; the lengths done are kept. Cancellation
/// throws <see cref="OperationCanceledException"/>: an interrupted evaluation is never returned as a result.
/// </summary>
public static class Evaluation
{
    public static EvaluationResult Run(nn.Module<Tensor, Tensor> model, FormalTask task, IReadOnlyList<int> lengths, int batches = 8, int batchSize = 64,
        ulong seed = 1, Device? device = null, Action<LengthAccuracy>? progress = null, CancellationToken cancellation = default,
        Action<int, int>? subBatchDone = null)
    {
        if (lengths.Count == 0) throw new ArgumentException("no test lengths were given", nameof(lengths));
        if (batches < 1 || batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batches), "batches and batchSize must be at least 1");
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
                        sum += batch.Accuracy(batch.OutputLogits(model.forward(batch.Input)));
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
        double score = results.Count == 0 ? double.NaN : results.Average(r => r.Accuracy);
        return new EvaluationResult(results, score, stopped);
    }
}
