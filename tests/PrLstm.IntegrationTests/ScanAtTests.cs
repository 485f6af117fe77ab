using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.Schedule;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// The scan at chosen positions only (TreeScan.At, the generated ScanAt): the same trees as the full scan, with the
/// same bracketing, from fewer combines.
/// </summary>
public class ScanAtTests
{
    private static IEnumerable<long[]> PositionSets(int length, Random random)
    {
        yield return new[] { (long)length - 1 };
        yield return new long[] { 0 };
        yield return Enumerable.Range(0, length).Select(t => (long)t).ToArray();
        for (int k = 0; k < 3; k++)
            yield return Enumerable.Range(0, length).Where(_ => random.NextDouble() < 0.3).Select(t => (long)t).ToArray();
        yield return Enumerable.Range(length / 2, length - length / 2).Select(t => (long)t).ToArray(); // the answer slots of a task
    }

    [Fact]
    public void EveryPositionSetGivesTheFullScansTreesForEveryLengthUpTo300()
    {
        var random = new Random(7);
        for (int length = 1; length <= 300; length++)
        {
            var full = TreeScan.Prefix(SymbolicState.Leaves(length), new SymbolicCombine()).Items;
            foreach (var positions in PositionSets(length, random))
            {
                var combine = new SymbolicCombine();
                var at = TreeScan.At(SymbolicState.Leaves(length), positions, combine).Items;
                Assert.Equal(positions.Select(t => full[t]), at);
                // Never more work than the full scan; and the last position alone costs what the final state does.
                var fullCombine = new SymbolicCombine();
                TreeScan.Prefix(SymbolicState.Leaves(length), fullCombine);
                Assert.True(combine.Applications <= fullCombine.Applications,
                    $"T = {length}: {combine.Applications} > {fullCombine.Applications}");
            }
            var last = new SymbolicCombine();
            TreeScan.At(SymbolicState.Leaves(length), new[] { (long)length - 1 }, last);
            var final = new SymbolicCombine();
            PrLstm.Runtime.Schedule.Reduce.Final(SymbolicState.Leaves(length), final);
            Assert.Equal(final.Applications, last.Applications);
        }
    }

    /// <summary>
    /// The last position (what every classification task's loss and evaluation read) takes its rows as views: every row
    /// set it needs is evenly spaced, so TreeScan.At gathers none, like FinalState. Gathering them (index_select) made
    /// ForwardAt 1.15-1.25x FinalState's time (docs/performance.md).
    /// </summary>
    [Fact]
    public void TheLastPositionTakesNoCopyForEveryLengthUpTo300()
    {
        for (int length = 1; length <= 300; length++)
        {
            SymbolicState.ResetCounts();
            TreeScan.At(SymbolicState.Leaves(length), new[] { (long)length - 1 }, new SymbolicCombine());
            Assert.True(SymbolicState.Copies == 0, $"T = {length}: {SymbolicState.Copies} copies");
        }
    }

    /// <summary>
    /// The full scan, the final state and the last position take each level's pairs as one split (IScanState.Pairs), not
    /// as two strided slices: a slice's backward fills a zero tensor of the level's size, one per slice, and adds them.
    /// </summary>
    [Fact]
    public void EveryScheduleTakesALevelsPairsAsOneSplitForEveryLengthUpTo300()
    {
        for (int length = 1; length <= 300; length++)
        {
            int levels = 0;
            for (long n = length; n >= 2; n /= 2) levels++;
            var schedules = new (string Name, Action Run)[]
            {
                ("Prefix", () => TreeScan.Prefix(SymbolicState.Leaves(length), new SymbolicCombine())),
                ("Final", () => PrLstm.Runtime.Schedule.Reduce.Final(SymbolicState.Leaves(length), new SymbolicCombine())),
                ("At(last)", () => TreeScan.At(SymbolicState.Leaves(length), new[] { (long)length - 1 }, new SymbolicCombine())),
            };
            foreach (var (name, run) in schedules)
            {
                SymbolicState.ResetCounts();
                run();
                Assert.True(SymbolicState.PairSlices == 0, $"{name}, T = {length}: {SymbolicState.PairSlices} pairs as strided slices");
                if (name != "Final")
                    Assert.True(SymbolicState.PairCalls == levels,
                        $"{name}, T = {length}: {SymbolicState.PairCalls} splits, {levels} levels");
                else
                    Assert.True(SymbolicState.PairCalls >= Math.Min(1, length - 1), $"{name}, T = {length}: no split");
            }
        }
    }

    [Theory]
    [InlineData(new long[] { 5, 4 })]
    [InlineData(new long[] { 3, 3 })]
    [InlineData(new long[] { -1 })]
    [InlineData(new long[] { 9 })]
    public void PositionsMustBeAscendingDistinctAndInRange(long[] positions)
    {
        var error = Assert.Throws<ArgumentException>(() => TreeScan.At(SymbolicState.Leaves(9), positions, new SymbolicCombine()));
        Assert.Contains("positions must be ascending, distinct and below the length 9", error.Message);
    }

    /// <summary>
    /// ScanAt leaves no handle outside the scope around the call, for every T up to 9 and every single position (T = 1
    /// is the whole sequence: a view of the leaves, not the leaves themselves, which would be moved out twice).
    /// </summary>
    [Fact]
    public void ScanAtLeavesNoHandleOutsideTheScopeAroundIt()
    {
        manual_seed(4);
        using var model = new PrLstmModel(inputSize: 3, H: 4, refinements: 1, dtype: ScalarType.Float64);
        for (int length = 1; length <= 9; length++)
            for (long position = 0; position < length; position++)
            {
                using var x = randn(new long[] { 2, length, 3 }, dtype: ScalarType.Float64);
                long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                using (var scope = NewDisposeScope())
                    model.ScanAt(x, new[] { position });
                Assert.True(live == DisposeScopeManager.Statistics.ThreadTotalLiveCount, $"T = {length}, position {position}");
            }
    }

    [Fact]
    public void TheGeneratedScanAtMatchesScanStatesWithAndWithoutAGradient()
    {
        manual_seed(3);
        using var model = new PrLstmModel(inputSize: 3, H: 8, refinements: 1, dtype: ScalarType.Float64);
        var random = new Random(11);
        foreach (int length in new[] { 1, 2, 7, 40, 65 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new long[] { 2, length, 3 }, dtype: ScalarType.Float64);
            var all = model.ScanStates(x);
            foreach (var positions in PositionSets(length, random).Where(p => p.Length > 0))
            {
                using var index = tensor(positions);
                using (no_grad())
                {
                    var at = model.ScanAt(x, positions);
                    TestModels.AssertClose(at.h, all.h.index_select(1, index), 1e-12, 1e-12, $"h, T = {length}");
                    TestModels.AssertClose(at.c, all.c.index_select(1, index), 1e-12, 1e-12, $"c, T = {length}");
                }
                var output = model.ForwardAt(x, positions);
                TestModels.AssertClose(output, all.h.index_select(1, index), 1e-12, 1e-12, $"ForwardAt, T = {length}");
                Assert.True(output.requires_grad);
            }
        }
    }
}

/// <summary>
/// The trainer and the evaluator compute only the output slots the loss reads (TaskBatch.OutputPositions): for every
/// task, 20 steps in float64 give the losses, accuracies and scores of the reference path that computes every prefix.
/// </summary>
public class ComputeOnlyWhatTheLossReadsTests
{
    public static TheoryData<string> Tasks()
    {
        var data = new TheoryData<string>();
        foreach (var task in PrLstm.Experiments.Tasks.FormalTasks.All) data.Add(task.Name);
        return data;
    }

    private static PrLstm.Experiments.TaskModel Model(PrLstm.Experiments.Tasks.FormalTask task, bool everyPosition)
    {
        var core = new PrLstmModel(task.InputSize + 1, H: 8, refinements: 1, dtype: ScalarType.Float64);
        return new PrLstm.Experiments.TaskModel(core, task.OutputSize) { ComputeEveryPosition = everyPosition };
    }

    /// <summary>The same weights in both models (the global generator is shared with tests that run in parallel).</summary>
    private static void CopyWeights(nn.Module from, nn.Module to)
    {
        using var noGrad = no_grad();
        foreach (var (source, target) in from.parameters().Zip(to.parameters()))
            target.copy_(source);
    }

    [Theory]
    [MemberData(nameof(Tasks))]
    public void TrainingAndEvaluationMatchTheFullScan(string name)
    {
        var task = PrLstm.Experiments.Tasks.FormalTasks.Get(name);
        var config = new PrLstm.Experiments.Training.RunConfig
        {
            Task = name,
            Model = "pr-lstm",
            Hidden = 8,
            Steps = 20,
            BatchSize = 6,
            MaxTrainLength = 12,
            LogEvery = 5,
            Seed = 3,
        };
        using var reference = Model(task, everyPosition: true);
        using var slots = Model(task, everyPosition: false);
        CopyWeights(reference, slots);
        var expected = new PrLstm.Experiments.Training.Trainer(config, reference).Run(folder: null).History;
        var actual = new PrLstm.Experiments.Training.Trainer(config, slots).Run(folder: null).History;
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Loss, actual[i].Loss, 1e-6);
            Assert.Equal(expected[i].Accuracy, actual[i].Accuracy, 1e-6);
        }
        var lengths = new[] { 13, 17 };
        var expectedScore = PrLstm.Experiments.Training.Evaluation.Run(reference, task, lengths, batches: 2, batchSize: 4);
        var actualScore = PrLstm.Experiments.Training.Evaluation.Run(slots, task, lengths, batches: 2, batchSize: 4);
        Assert.Equal(expectedScore.Lengths.Select(l => l.Accuracy), actualScore.Lengths.Select(l => l.Accuracy));
    }
}

/// <summary>The evaluator runs a tree model's sub-batches of one length together, with the accuracies of one by one.</summary>
public class JointEvaluationTests
{
    [Fact]
    public void TreeModelsRunSubBatchesTogetherWithTheAccuraciesOfOneByOne()
    {
        // A task whose accuracy mask differs from sequence to sequence: rows given to the wrong sub-batch change its score.
        var task = PrLstm.Experiments.Tasks.FormalTasks.Get("binary_multiplication");
        manual_seed(11);
        using var tree = new PrLstm.Experiments.TaskModel(
            new PrLstmModel(task.InputSize + 1, H: 8, refinements: 1, dtype: ScalarType.Float64), task.OutputSize);
        using var lstm = new PrLstm.Experiments.TaskModel(
            new PrLstm.Experiments.Baselines.LstmBaseline(task.InputSize + 1, 8), task.OutputSize);
        Assert.Equal(PrLstm.Experiments.Training.Evaluation.RowsPerForward,
            PrLstm.Experiments.Training.Evaluation.DefaultRowsPerForward(tree, 64));
        Assert.Equal(64, PrLstm.Experiments.Training.Evaluation.DefaultRowsPerForward(lstm, 64));
        // Large weights, so that the untrained model's answers differ from sequence to sequence.
        using (no_grad())
            foreach (var parameter in tree.parameters()) parameter.mul_(8);

        var lengths = new[] { 7, 30 };
        var together = PrLstm.Experiments.Training.Evaluation.Run(tree, task, lengths, batches: 5, batchSize: 3);
        var alone = PrLstm.Experiments.Training.Evaluation.Run(tree, task, lengths, batches: 5, batchSize: 3, rowsPerForward: 3);
        Assert.Equal(alone.Lengths.Select(l => l.Accuracy), together.Lengths.Select(l => l.Accuracy));
        Assert.All(together.Lengths, l => Assert.InRange(l.Accuracy, 0.0, 1.0));
    }
}
