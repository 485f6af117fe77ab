using PrLstm.Experiments.Baselines;
using PrLstm.Runtime.Modules;
using PrLstm.Experiments.Training;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Tests;

public class TrainingTests
{
    private static RunConfig Config(long steps, string task = "bucket_sort") => new()
    {
        Task = task,
        Model = "lstm",
        Hidden = 24,
        Steps = steps,
        BatchSize = 16,
        MaxTrainLength = 8,
        LogEvery = 5,
        CheckpointEvery = 7,
        Seed = 3,
    };

    private static TaskModel Lstm(RunConfig config)
    {
        var task = FormalTasks.Get(config.Task);
        manual_seed(11);
        return new TaskModel(new LstmBaseline(task.InputSize + 1, config.Hidden), task.OutputSize);
    }

    private static string TempFolder() => Directory.CreateTempSubdirectory("prlstm-train").FullName;

    [Fact]
    public void BatchesAreFedWithEmptySlotsAndTheLossIsTheUnmaskedMeanCrossEntropy()
    {
        var task = FormalTasks.Get("binary_addition");
        var sample = new TaskSample(new[] { 1, 1, 2, 1, 0 }, task.TargetFor(new[] { 1, 1, 2, 1, 0 })); // target 001200
        using var batch = TaskBatch.FromSamples(task, new[] { sample, sample });
        Assert.Equal(new long[] { 2, 11, 4 }, batch.Input.shape); // n' = 5 tokens + L = 6 slots, V + 1 = 4 channels
        Assert.Equal(new[] { 0f, 1, 0, 0 }, batch.Input[0, 0].data<float>().ToArray()); // token '1'
        Assert.Equal(new[] { 0f, 0, 1, 0 }, batch.Input[0, 2].data<float>().ToArray()); // '+'
        for (int t = 5; t < 11; t++) Assert.Equal(new[] { 0f, 0, 0, 1 }, batch.Input[0, t].data<float>().ToArray()); // empty slots
        Assert.Equal(new long[] { 0, 0, 1, 2, 0, 0 }, batch.Target[1].data<long>().ToArray());
        Assert.Equal(new[] { 1f, 1, 1, 1, 0, 0 }, batch.Mask[0].data<float>().ToArray());

        // Logits that favour class 0 everywhere: loss = mean over all 12 positions of -log softmax(target).
        var logits = zeros(2, 6, 3);
        logits[.., .., 0] = tensor(2.0f);
        double expectedLoss = new[] { 0, 0, 1, 2, 0, 0 }.Select(c => -Math.Log(Math.Exp(c == 0 ? 2 : 0) / (Math.Exp(2) + 2))).Average();
        Assert.Equal(expectedLoss, batch.Loss(logits).ToDouble(), tolerance: 1e-6); // float32
        // Accuracy: masked positions 0..3 hold 0, 0, 1, 2 → 2 of 4 correct in each sequence.
        Assert.Equal(0.5, batch.Accuracy(logits), 12);
        Assert.Equal(new long[] { 2, 6, 3 }, batch.OutputLogits(zeros(2, 11, 3)).shape);
    }

    /// <summary>
    /// Adam with clipping against the reference's optax chain (clip_by_global_norm, then adam), written out in doubles
    /// element by element: four steps, two parameters, gradients set by hand, two of the steps clipped (global norm at or
    /// above max_norm) and two not.
    /// </summary>
    [Fact]
    public void AdamMatchesOptaxClipByGlobalNormThenAdamStepByStep()
    {
        const double LearningRate = 0.1, Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8, MaxNorm = 1.0;
        double[][] start = [[0.5, -1.0, 2.0], [0.25, 0.75]];
        double[][][] gradients =
        [
            [[3.0, -4.0, 0.0], [1.0, 2.0]],        // norm √30: clipped
            [[0.1, 0.2, -0.3], [0.05, 0.0]],       // norm 0.38: not clipped
            [[0.6, 0.0, 0.0], [0.0, 0.8]],         // norm 1 to rounding: clipped, by a scale of about 1
            [[-0.01, 0.02, 0.03], [-0.04, 0.05]],  // not clipped
        ];
        var parameters = start.Select((values, i) => (Name: $"p{i}", Parameter: new TorchSharp.Modules.Parameter(
            tensor(values, dtype: ScalarType.Float64)))).ToArray();
        using var adam = new Adam(parameters, LearningRate, Beta1, Beta2, Epsilon, MaxNorm);

        var expected = start.Select(values => values.ToArray()).ToArray();
        var m = start.Select(values => new double[values.Length]).ToArray();
        var v = start.Select(values => new double[values.Length]).ToArray();
        for (int step = 1; step <= gradients.Length; step++)
        {
            var g = gradients[step - 1];
            for (int i = 0; i < parameters.Length; i++) parameters[i].Parameter.grad = tensor(g[i], dtype: ScalarType.Float64);
            double norm = adam.Update();

            double expectedNorm = Math.Sqrt(g.SelectMany(values => values).Sum(x => x * x));
            Assert.Equal(expectedNorm, norm, 12);
            for (int i = 0; i < g.Length; i++)
                for (int k = 0; k < g[i].Length; k++)
                {
                    double clipped = expectedNorm < MaxNorm ? g[i][k] : g[i][k] / expectedNorm * MaxNorm;
                    m[i][k] = Beta1 * m[i][k] + (1 - Beta1) * clipped;
                    v[i][k] = Beta2 * v[i][k] + (1 - Beta2) * clipped * clipped;
                    double mHat = m[i][k] / (1 - Math.Pow(Beta1, step)), vHat = v[i][k] / (1 - Math.Pow(Beta2, step));
                    expected[i][k] -= LearningRate * mHat / (Math.Sqrt(vHat) + Epsilon);
                }
            for (int i = 0; i < parameters.Length; i++)
            {
                var actual = parameters[i].Parameter.data<double>().ToArray();
                for (int k = 0; k < actual.Length; k++)
                    Assert.True(Math.Abs(actual[k] - expected[i][k]) <= 1e-12,
                        $"step {step}, p{i}[{k}]: {actual[k]} against {expected[i][k]}");
            }
        }
        Assert.Equal(gradients.Length, adam.Step);
    }

    [Fact]
    public void EvaluationAveragesPooledSubBatchAccuracies()
    {
        // A model that always answers class 0: its accuracy is the share of masked target positions that are 0,
        // which is counted here from the same batches (the sampler is reseeded with 1 per evaluation).
        var task = FormalTasks.Get("binary_multiplication");
        using var model = new AlwaysZero(task.OutputSize);
        var result = Evaluation.Run(model, task, new[] { 5, 9 }, batches: 3, batchSize: 10);
        var random = new TaskRandom(1);
        foreach (var length in new[] { 5, 9 })
        {
            double sum = 0;
            for (int b = 0; b < 3; b++)
            {
                var samples = task.SampleBatch(random, 10, length);
                double correct = 0, counted = 0;
                foreach (var s in samples)
                {
                    var mask = task.Mask(s.Target);
                    for (int t = 0; t < s.Target.Length; t++) { counted += mask[t]; correct += mask[t] * (s.Target[t] == 0 ? 1 : 0); }
                }
                sum += correct / counted;
            }
            Assert.Equal(sum / 3, result.Lengths.Single(l => l.Length == length).Accuracy, tolerance: 1e-6); // pooled in float32
        }
        // The spec's network score: lengths beyond the training range only; all of them when none is beyond.
        Assert.Equal(result.Lengths.Where(l => l.Length > 5).Average(l => l.Accuracy), result.NetworkScore(maxTrainLength: 5), 12);
        Assert.Equal(result.Lengths.Average(l => l.Accuracy), result.NetworkScore(maxTrainLength: 10_000), 12);
        Assert.Null(result.Stopped);
    }

    private sealed class AlwaysZero(long classes) : nn.Module<Tensor, Tensor>("AlwaysZero")
    {
        public override Tensor forward(Tensor x)
        {
            var logits = zeros(x.shape[0], x.shape[1], classes);
            logits[.., .., 0] = tensor(1.0f);
            return logits;
        }
    }

    [Fact]
    public void TrainingOnATinyBudgetReducesTheLoss()
    {
        var config = Config(60) with { LearningRate = 1e-2 };
        using var model = Lstm(config);
        var outcome = new Trainer(config, model).Run(folder: null);
        Assert.Equal(60, outcome.Step);
        Assert.Equal(12, outcome.History.Count);
        double first = outcome.History.Take(2).Average(h => h.Loss), last = outcome.History.TakeLast(2).Average(h => h.Loss);
        Assert.True(last < 0.8 * first, $"loss went from {first:F3} to {last:F3}");
    }

    [Fact]
    public void CheckpointsRoundTripAndResumingGivesTheSameRunAsNotStopping()
    {
        string straight = TempFolder(), stopped = TempFolder();
        var config = Config(20);
        using var uninterrupted = Lstm(config);
        using var first = Lstm(config);
        // The same start for both (seeding twice is not enough: tests running in parallel share the global generator).
        using (no_grad())
            foreach (var (source, target) in uninterrupted.parameters().Zip(first.parameters()))
                target.copy_(source);
        new Trainer(config, uninterrupted).Run(straight);
        new Trainer(config with { Steps = 12 }, first).Run(stopped);
        Assert.Equal(12, Checkpoints.ReadState(stopped).Step);
        using var resumed = Lstm(config);
        var outcome = new Trainer(config, resumed).Run(stopped, resume: true);

        Assert.Equal(20, outcome.Step);
        foreach (var (name, parameter) in uninterrupted.named_parameters())
            Assert.True(parameter.equal(resumed.get_parameter(name)!).all().item<bool>(), $"{name} differs after resuming");
        // The same log as the uninterrupted run (the window open at step 12 is continued, not logged twice).
        Assert.Equal(Checkpoints.ReadState(straight).History.Select(h => (h.Step, h.Loss, h.Accuracy)),
            outcome.History.Select(h => (h.Step, h.Loss, h.Accuracy)));

        // Loading the checkpoint into a fresh model gives the same outputs.
        using var loaded = Lstm(config);
        Checkpoints.Restore(straight, Checkpoints.ReadState(straight), loaded);
        using var x = TaskBatch.Sample(FormalTasks.Get(config.Task), new TaskRandom(5), 4, 6);
        uninterrupted.eval(); loaded.eval();
        Assert.True(uninterrupted.forward(x.Input).equal(loaded.forward(x.Input)).all().item<bool>());
        // The current weights and the previous ones (kept one save longer for readers of the previous JSON), no older.
        var state = Checkpoints.ReadState(straight);
        var kept = Directory.GetFiles(straight, "weights-*.safetensors").Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(2, kept.Length);
        Assert.Equal(state.WeightsFile, kept[^1]);
    }

    [Fact]
    public void ACrashWhileSavingLeavesThePreviousCheckpointIntact()
    {
        string folder = TempFolder();
        var config = Config(7);
        using var model = Lstm(config);
        new Trainer(config, model).Run(folder);
        var before = Checkpoints.ReadState(folder);

        AtomicFile.BeforeRename = path => { if (path.Contains("checkpoint.json")) throw new IOException("simulated crash"); };
        try
        {
            Assert.Throws<IOException>(() => new Trainer(config with { Steps = 14 }, model).Run(folder, resume: true));
        }
        finally
        {
            AtomicFile.BeforeRename = null;
        }
        var after = Checkpoints.ReadState(folder);
        Assert.Equal(before.Step, after.Step);
        Assert.True(File.Exists(Path.Combine(folder, after.WeightsFile)));
        using var reloaded = Lstm(config);
        Checkpoints.Restore(folder, after, reloaded); // complete and loadable
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void MismatchedAndCorruptCheckpointsGiveClearErrors()
    {
        string folder = TempFolder();
        var config = Config(3);
        using (var model = Lstm(config)) new Trainer(config, model).Run(folder);

        using var other = Lstm(config with { Hidden = 8 });
        var mismatch = Assert.Throws<InvalidOperationException>(() => new Trainer(config with { Hidden = 8 }, other)
            .Run(folder, resume: true));
        Assert.Contains("another run", mismatch.Message);
        Assert.Contains("do not match",
            Assert.Throws<InvalidDataException>(() => Checkpoints.Restore(folder, Checkpoints.ReadState(folder), other)).Message);

        File.WriteAllText(Path.Combine(folder, Checkpoints.FileName), "{ not json");
        Assert.Contains("not a valid checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoints.ReadState(folder)).Message);
        Assert.Contains("no checkpoint folder",
            Assert.Throws<FileNotFoundException>(() => Checkpoints.ReadState(Path.Combine(folder, "missing"))).Message);
    }

    [Fact]
    public void TheCurriculumStartsWithEveryLengthOnceThenDrawsUniformly()
    {
        var curriculum = new Curriculum(40, seed: 0);
        var random = new TaskRandom(0);
        var lengths = Enumerable.Range(0, 4040).Select(s => curriculum.Length(s, random)).ToList();
        Assert.Equal(Enumerable.Range(1, 40), lengths.Take(40).Order());
        Assert.All(lengths.Skip(40), n => Assert.InRange(n, 1, 40));
        Assert.Equal(40, lengths.Skip(40).Distinct().Count());
    }
}
