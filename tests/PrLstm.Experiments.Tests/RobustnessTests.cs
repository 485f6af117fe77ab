using PrLstm.Experiments.Baselines;
using PrLstm.Runtime.Modules;
using PrLstm.Experiments.Tasks;
using PrLstm.Experiments.Training;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Tests;

/// <summary>Divergence, slow steps, out-of-memory, cancellation, concurrent readers and locks, files over 2 GiB.</summary>
public class RobustnessTests
{
    private static RunConfig Config(long steps) => new()
    {
        Task = "parity_check",
        Model = "lstm",
        Hidden = 8,
        Steps = steps,
        BatchSize = 4,
        MaxTrainLength = 6,
        LogEvery = 5,
        CheckpointEvery = 7,
        Seed = 1,
    };

    private static TaskModel Lstm(RunConfig config)
    {
        var task = FormalTasks.Get(config.Task);
        manual_seed(5);
        return new TaskModel(new LstmBaseline(task.InputSize + 1, config.Hidden), task.OutputSize);
    }

    private static string TempFolder() => Directory.CreateTempSubdirectory("prlstm-robust").FullName;

    /// <summary>Wraps a model: from its <c>poisonAt</c>-th forward on, the outputs are NaN; each forward can also be slowed down.</summary>
    private sealed class Faulty : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> inner;
        private readonly int poisonAt;
        private readonly TimeSpan delay;
        private readonly Func<long, long, bool>? outOfMemoryAt;
        private int calls;

        /// <param name="outOfMemoryAt">Whether a forward of (rows, time) runs out of memory.</param>
        public Faulty(nn.Module<Tensor, Tensor> inner, int poisonAt = int.MaxValue, TimeSpan delay = default,
            Func<long, long, bool>? outOfMemoryAt = null) : base(nameof(Faulty))
        {
            (this.inner, this.poisonAt, this.delay, this.outOfMemoryAt) = (inner, poisonAt, delay, outOfMemoryAt);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (delay > TimeSpan.Zero) Thread.Sleep(delay);
            Rows.Add(x.shape[0]);
            if (outOfMemoryAt?.Invoke(x.shape[0], x.shape[1]) == true)
                using (empty(1L << 45)) { } // 128 TiB of float32: libtorch's allocator refuses it
            var y = inner.forward(x);
            return ++calls >= poisonAt ? y * double.NaN : y;
        }

        /// <summary>The rows (sequences) of every forward, in order.</summary>
        public List<long> Rows { get; } = new();
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint()
    {
        string folder = TempFolder();
        var config = Config(30);
        using var model = new Faulty(Lstm(config), poisonAt: 10);
        var diverged = Assert.Throws<TrainingDivergedException>(() => new Trainer(config, model).Run(folder));
        Assert.Equal(10, diverged.Step);
        Assert.Equal(7, diverged.LastCheckpoint);
        Assert.Contains("training diverged at step 10: the loss is NaN; the last good checkpoint (step 7) is kept", diverged.Message);
        var state = Checkpoints.ReadState(folder); // valid JSON, no NaN in it
        Assert.Equal(7, state.Step);
        Assert.All(state.History, h => Assert.True(double.IsFinite(h.Loss)));
        using var reloaded = new Faulty(Lstm(config));
        Checkpoints.Restore(folder, state, reloaded);
    }

    [Fact]
    public void ANonFiniteGradientChangesNoParameter()
    {
        var parameter = new TorchSharp.Modules.Parameter(ones(3));
        using var adam = new Adam(new[] { ("p", parameter) });
        parameter.grad = tensor(new[] { 1f, float.PositiveInfinity, 0f });
        Assert.Contains("the gradient's norm is Infinity", Assert.Throws<ArithmeticException>(() => adam.Update()).Message);
        Assert.Equal(new[] { 1f, 1f, 1f }, parameter.data<float>().ToArray());
        Assert.Equal(0, adam.Step);
    }

    [Fact]
    public void ResumingAFinishedRunKeepsItsLastLogEntry()
    {
        string folder = TempFolder();
        var config = Config(7); // logs at 5 and at the end, 7
        using (var model = Lstm(config)) new Trainer(config, model).Run(folder);
        Assert.Equal(new long[] { 5, 7 }, Checkpoints.ReadState(folder).History.Select(h => h.Step));
        using var again = Lstm(config);
        var outcome = new Trainer(config, again).Run(folder, resume: true);
        Assert.Equal(new long[] { 5, 7 }, outcome.History.Select(h => h.Step));
        Assert.Equal(new long[] { 5, 7 }, Checkpoints.ReadState(folder).History.Select(h => h.Step));
    }

    [Fact]
    public void ASlowRunReportsProgressBetweenLoggingWindows()
    {
        var config = Config(4) with { LogEvery = 100 };
        using var model = new Faulty(Lstm(config), delay: TimeSpan.FromMilliseconds(450));
        var reports = new List<TrainingProgress>();
        new Trainer(config, model).Run(folder: null, progress: new Collect(reports));
        // Steps of 0.45 s: a report by step 3 (after a second), long before the window of 100 steps closes.
        Assert.Contains(reports, r => r.Step < 4);
        Assert.Equal(4, reports[^1].Step);
    }

    private sealed class Collect(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }

    [Fact]
    public void EvaluationReportsEverySubBatchAndCancellationGivesNoResult()
    {
        var config = Config(1);
        using var model = Lstm(config);
        var task = FormalTasks.Get(config.Task);
        var seen = new List<(int, int)>();
        var result = Evaluation.Run(model, task, new[] { 3, 4 }, batches: 2, batchSize: 2,
            subBatchDone: (length, batch) => seen.Add((length, batch)));
        Assert.Equal(new[] { (3, 1), (3, 2), (4, 1), (4, 2) }, seen);
        Assert.Null(result.Stopped);

        using var cancellation = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Evaluation.Run(model, task, new[] { 3, 4 }, batches: 2, batchSize: 2,
            cancellation: cancellation.Token,
            progress: _ => cancellation.Cancel()));
    }

    [Fact]
    public void LibtorchOutOfMemoryIsRecognisedAndKeepsTheLengthsScored()
    {
        var error = Record.Exception(() => empty(1L << 45));
        Assert.NotNull(error);
        Assert.True(OutOfMemory.Is(error), error.Message);
        Assert.Equal("out of memory (an allocation of 131072.00 GiB failed)", OutOfMemory.Describe(error));

        var config = Config(1);
        using var model = new Faulty(Lstm(config), outOfMemoryAt: (_, time) => time >= 9);
        var result = Evaluation.Run(model, FormalTasks.Get(config.Task), new[] { 3, 5, 9, 12 }, batches: 1, batchSize: 2);
        Assert.Equal(new[] { 3, 5 }, result.Lengths.Select(l => l.Length));
        Assert.StartsWith("out of memory (an allocation of", result.Stopped);
        Assert.EndsWith("at length 9", result.Stopped);
    }

    [Fact]
    public void SubBatchesRunTogetherAndOneByOneWhenTogetherRunsOutOfMemory()
    {
        // Answers that differ from sequence to sequence, on a task whose accuracy mask does too: rows given to the wrong
        // sub-batch change its score.
        var task = FormalTasks.Get("binary_multiplication");
        using var reference = new Faulty(new Counts(task.OutputSize));
        Evaluation.Run(reference, task, new[] { 3 }, batches: 3, batchSize: 2);
        Assert.Equal("2,2,2", string.Join(",", reference.Rows)); // the default for models other than trees: one by one
        var expected = Evaluation.Run(reference, task, new[] { 3, 5 }, batches: 3, batchSize: 2, rowsPerForward: 6);
        Evaluation.Run(reference, task, new[] { 3 }, batches: 5, batchSize: 2, rowsPerForward: 5);
        Assert.Equal("2,2,2,6,6,4,4,2", string.Join(",", reference.Rows)); // whole sub-batches, up to the rows asked for

        // Scored one sub-batch per forward, the accuracies are the same (the sampler gives the same sub-batches); after
        // the first refusal the rest runs one by one, and nothing is stopped.
        using var model = new Faulty(new Counts(task.OutputSize), outOfMemoryAt: (rows, _) => rows > 2);
        var result = Evaluation.Run(model, task, new[] { 3, 5 }, batches: 3, batchSize: 2, rowsPerForward: 6);
        Assert.Null(result.Stopped);
        Assert.Equal("6,2,2,2,2,2,2", string.Join(",", model.Rows));
        Assert.Equal(expected.Lengths.Select(l => l.Length), result.Lengths.Select(l => l.Length));
        foreach (var (joint, alone) in expected.Lengths.Zip(result.Lengths))
            Assert.Equal(joint.Accuracy, alone.Accuracy, 12);
        using var unwrapped = new Counts(task.OutputSize);
        var oneByOne = Evaluation.Run(unwrapped, task, new[] { 3, 5 }, batches: 3, batchSize: 2);
        Assert.Equal(oneByOne.Lengths.Select(l => l.Accuracy), expected.Lengths.Select(l => l.Accuracy));
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Evaluation.Run(unwrapped, task, new[] { 3 }, batches: 3, batchSize: 2, rowsPerForward: 0));
        Assert.Equal("rowsPerForward", refused.ParamName);
    }

    /// <summary>
    /// Logits at t: how often each of the first classes' symbols came up to t. At the answer slots the most frequent one
    /// wins: answers that differ from sequence to sequence.
    /// </summary>
    private sealed class Counts(long classes) : nn.Module<Tensor, Tensor>(nameof(Counts))
    {
        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var counts = x.cumsum(1);
            return nn.functional.pad(counts, [0, Math.Max(0, classes - x.shape[2])]).narrow(2, 0, classes).MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void ReadersSeeTheOldOrTheNewCheckpointWhileAWriterSaves()
    {
        string folder = TempFolder();
        var config = Config(10_000);
        using var model = Lstm(config);
        using var adam = new Adam(model.named_parameters());
        CheckpointState At(long step)
            => new()
            {
                Config = config,
                Step = step,
                SamplerState = new TaskRandom(1).State,
                WeightsFile = "",
                History = Array.Empty<TrainingLogEntry>()
            };
        Checkpoints.Save(folder, model, adam, At(1));

        var failures = new List<string>();
        int reads = 0;
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!done.IsSet)
            {
                try
                {
                    var (_, loaded) = Checkpoints.Open(folder, s => Lstm(s.Config));
                    loaded.Dispose();
                    reads++;
                }
                catch (Exception e)
                {
                    lock (failures) failures.Add(e.Message);
                }
            }
        });
        reader.Start();
        for (long step = 2; step <= 120; step++)
            Checkpoints.Save(folder, model, adam, At(step));
        done.Set();
        reader.Join();
        Assert.True(reads > 10, $"only {reads} reads");
        Assert.Empty(failures);
    }

    [Fact]
    public void ARunFolderHasOneWriterAndLeftoversAreCleared()
    {
        string folder = TempFolder();
        File.WriteAllText(Path.Combine(folder, ".checkpoint.json.0123abcd.tmp"), "half a save");
        File.WriteAllText(Path.Combine(folder, ".notes.txt.0123abcd.tmp"), "not ours");
        using (RunFolderLock.Acquire(folder))
        {
            Assert.False(File.Exists(Path.Combine(folder, ".checkpoint.json.0123abcd.tmp")));
            Assert.True(File.Exists(Path.Combine(folder, ".notes.txt.0123abcd.tmp")));
            var second = Assert.Throws<IOException>(() => RunFolderLock.Acquire(folder));
            Assert.Contains($"'{folder}' is being written by another prlstm process", second.Message);
        }
        using (RunFolderLock.Acquire(folder)) { } // released: free again

        string fresh = Path.Combine(TempFolder(), "new-run");
        using (RunFolderLock.Acquire(fresh)) Assert.True(Directory.Exists(fresh));
        Assert.False(Directory.Exists(fresh)); // made for nothing: removed
        using (RunFolderLock.Acquire(fresh)) File.WriteAllText(Path.Combine(fresh, "results.json"), "[]");
        Assert.True(File.Exists(Path.Combine(fresh, "results.json"))); // written to: kept
    }

    [Fact]
    public void ATensorOverTwoGibibytesIsReadByRange()
    {
        // A sparse file: one U8 tensor of 2^31 + 8 bytes, zero but for markers at both ends of the data.
        string path = Path.Combine(TempFolder(), "large.safetensors");
        long count = (1L << 31) + 8;
        string header = $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{count}],\"data_offsets\":[0,{count}]}}}}";
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            file.Write(BitConverter.GetBytes((ulong)json.Length));
            file.Write(json);
            file.WriteByte(7);
            file.SetLength(8 + json.Length + count);
            file.Position = file.Length - 1;
            file.WriteByte(9);
        }
        var tensors = Safetensors.Read(path);
        try
        {
            var big = tensors["big"];
            Assert.Equal(count, big.numel());
            Assert.Equal(7, big[0].item<byte>());
            Assert.Equal(9, big[count - 1].item<byte>());
            Assert.Equal(0, big[1L << 30].item<byte>());
            Assert.Equal(16, big.narrow(0, 0, 1 << 20).sum().item<long>() + big.narrow(0, count - (1 << 20), 1 << 20).sum().item<long>());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public void ARunConfigNamesEveryFieldOutOfRange()
    {
        Assert.Empty(Config(5).Problems());
        var bad = Config(5) with
        {
            Task = "nope",
            Model = "",
            Hidden = 0,
            Layers = -1,
            Steps = -1,
            BatchSize = 0,
            MaxTrainLength = 0,
            LearningRate = double.NaN,
            MaxGradNorm = -1,
            LogEvery = 0,
            CheckpointEvery = 0
        };
        Assert.Equal(new[]
        {
            "Task 'nope' is not a known task", "Model is empty", "Hidden 0 is outside 1..8192", "Layers -1 is outside 0..64",
                "Steps -1 is outside 0..1000000000000",
            "BatchSize 0 is outside 1..65536", "MaxTrainLength 0 is outside 1..1000000", "LearningRate NaN is not in (0, 10]",
                "MaxGradNorm -1 is not a positive number",
            "LogEvery 0 is outside 1..2147483647", "CheckpointEvery 0 is outside 1..2147483647",
        }, bad.Problems());
    }
}
