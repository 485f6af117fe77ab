using PrLstm.Experiments.Tasks;
using PrLstm.Runtime.Modules;
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
/// unweighted mean over the lengths. The sub-batches of one length run through a tree model together, up to
/// <see cref="RowsPerForward"/> sequences per forward; each one's accuracy is still its own. An out-of-memory error in
/// such a joint forward runs its sub-batches one by one; one in a single sub-batch stops the loop, and the lengths done
/// are kept. Cancellation throws <see cref="OperationCanceledException"/>: an interrupted evaluation is never returned as a
/// result.
/// </summary>
public static class Evaluation
{
    /// <summary>
    /// The most sequences one forward of a tree model takes: whole sub-batches of a length are run together up to this
    /// many. Every sequence is computed on its own (the models mix nothing across the batch), so the accuracies are those
    /// of one forward per sub-batch, to float rounding; larger calls cost less per sequence. Measured here for PR-LSTM
    /// (1R, H = 64) on 512 sequences, no gradient, 9 interleaved rounds, median time ratio against forwards of 64: 0.94
    /// (128 per forward), 0.91 (256), 0.94 (512) at T = 270; 0.95, 0.89, 1.09 at T = 60. Other models take one sub-batch
    /// per forward: the Transformer's attention grows with rows × T², and its whole evaluation took 1.7-1.8× the time with
    /// 256 rows per forward.
    /// </summary>
    public const int RowsPerForward = 256;

    /// <summary>
    /// Scores the model on the lengths as the protocol says (above). <c>subBatchDone</c> is called with (length, sub-batches
    /// done) as sub-batches are scored; <c>rowsPerForward</c> is the most sequences one forward takes (whole sub-batches
    /// run together), by default <see cref="DefaultRowsPerForward"/>.
    /// </summary>
    public static EvaluationResult Run(nn.Module<Tensor, Tensor> model, FormalTask task, IReadOnlyList<int> lengths, int batches = 8,
        int batchSize = 64,
        ulong seed = 1, Device? device = null, Action<LengthAccuracy>? progress = null, CancellationToken cancellation = default,
        Action<int, int>? subBatchDone = null, int? rowsPerForward = null)
    {
        if (lengths.Count == 0) throw new ArgumentException("no test lengths were given", nameof(lengths));
        if (batches < 1 || batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batches),
            "batches and batchSize must be at least 1");
        if (rowsPerForward < 1) throw new ArgumentOutOfRangeException(nameof(rowsPerForward), rowsPerForward,
            "rowsPerForward must be at least 1 (a smaller batch than one sub-batch runs one sub-batch per forward)");
        var random = new TaskRandom(seed);
        var results = new List<LengthAccuracy>();
        string? stopped = null;
        bool wasTraining = model.training;
        model.eval();
        var dtype = model.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        int together = Math.Max(1, (rowsPerForward ?? DefaultRowsPerForward(model, batchSize)) / batchSize);
        try
        {
            using var noGrad = no_grad();
            foreach (int length in lengths)
            {
                double sum = 0;
                try
                {
                    for (int first = 0; first < batches;)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        // Sampled in the protocol's order, one sub-batch after the other, whatever runs together.
                        int count = Math.Min(together, batches - first);
                        var group = new List<TaskBatch>(count);
                        try
                        {
                            for (int k = 0; k < count; k++)
                                group.Add(TaskBatch.Sample(task, random, batchSize, length, device, dtype));
                            var accuracies = Accuracies(model, group, ref together);
                            for (int k = 0; k < count; k++)
                            {
                                sum += accuracies[k];
                                subBatchDone?.Invoke(length, first + k + 1);
                            }
                        }
                        finally
                        {
                            foreach (var batch in group) batch.Dispose();
                        }
                        // The whole group is scored, also when its joint forward fell back to one by one.
                        first += count;
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

    /// <summary>
    /// How many sequences one forward of <paramref name="model"/> takes by default: <see cref="RowsPerForward"/> for a tree
    /// model (a <see cref="TaskModel"/> over an <see cref="ITreeScanModel"/>), one sub-batch for any other.
    /// </summary>
    public static int DefaultRowsPerForward(nn.Module<Tensor, Tensor> model, int batchSize) =>
        model is TaskModel { Core: ITreeScanModel } ? RowsPerForward : batchSize;

    /// <summary>
    /// Each sub-batch's accuracy, from one forward of them all; when that runs out of memory, from one forward each, and
    /// <paramref name="together"/> becomes 1 for the rest of the evaluation.
    /// </summary>
    private static double[] Accuracies(nn.Module<Tensor, Tensor> model, IReadOnlyList<TaskBatch> group, ref int together)
    {
        if (group.Count > 1)
        {
            try
            {
                using var scope = NewDisposeScope();
                // The sub-batches share their length, so the first one's layout (output positions) holds for all of them.
                var logits = group[0].OutputLogitsOf(model, cat(group.Select(b => b.Input).ToArray(), 0));
                var accuracies = new double[group.Count];
                long row = 0;
                for (int k = 0; k < group.Count; k++)
                {
                    long rows = group[k].Input.size(0);
                    accuracies[k] = group[k].Accuracy(logits.narrow(0, row, rows));
                    row += rows;
                }
                return accuracies;
            }
            catch (Exception e) when (OutOfMemory.Is(e))
            {
                together = 1;
            }
        }
        return group.Select(batch =>
        {
            using var scope = NewDisposeScope();
            return batch.Accuracy(batch.OutputLogitsOf(model));
        }).ToArray();
    }
}
