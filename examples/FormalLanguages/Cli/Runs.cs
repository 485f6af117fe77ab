using System.Diagnostics;
using PrLstm.Experiments.Tasks;
using PrLstm.Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>Training and scoring as the verbs run them.</summary>
public static class Runs
{
    /// <summary>How to score after training.</summary>
    public sealed record EvalSettings(IReadOnlyList<int>? Lengths, int Batches = 8, int BatchSize = 64, ulong Seed = 1);

    /// <summary>
    /// Trains (or resumes) one run in <paramref name="folder"/>, scores it, and returns its result; null when
    /// interrupted (a checkpoint is saved first). Refuses to overwrite an existing checkpoint unless resuming; a resume
    /// continues the saved run, and every field of <paramref name="config"/> that <paramref name="given"/> says the user
    /// set must agree with it (see <see cref="Resumed"/>); by default every field counts as set. The caller holds the
    /// folder's <see cref="RunFolderLock"/>. With <paramref name="recompute"/> a tree model recomputes its combines in the
    /// backward (<see cref="ModelCatalog.Build"/>).
    /// </summary>
    public static RunResult? TrainAndEvaluate(RunConfig config, string folder, bool resume, EvalSettings eval, Device device,
        CancellationToken cancellation, string? label = null, Func<string, bool>? given = null, bool recompute = false)
    {
        if (!resume && Checkpoints.Exists(folder))
            throw new InvalidOperationException(
                $"'{folder}' already holds a checkpoint; continue it with --resume, or choose another --out");
        if (resume && !Checkpoints.Exists(folder))
            throw new FileNotFoundException($"--resume: '{folder}' holds no checkpoint to continue");
        CheckpointState? saved = resume ? Checkpoints.ReadState(folder) : null;
        if (saved is not null)
            config = Resumed(saved.Config, saved.Step, config, given ?? (_ => true), folder);

        using var model = saved is null ? ModelCatalog.Build(config, device, recompute)
            : Checkpoints.Build(folder, saved with { Config = config }, s => ModelCatalog.Build(s.Config, device, recompute));
        long parameters = ParameterCount(model);
        string title = label ?? $"{config.Model} on {config.Task}";
        var trainer = new Trainer(config, model, device);
        var outcome = ProgressDisplay.Run(title, config.Steps, progress => trainer.Run(folder, resume, progress, cancellation));
        if (outcome.Interrupted)
        {
            Console.WriteLine(
                $"{title}: interrupted at step {outcome.Step}; the checkpoint in '{folder}' is saved. Continue with --resume.");
            return null;
        }
        return Score(config, model, parameters, outcome.History, outcome.TrainingSeconds, eval, device, cancellation, title);
    }

    /// <summary>
    /// The configuration a resume continues: the saved one, with --steps changed if asked (to any count not below the
    /// <paramref name="reached"/> step: training cannot be undone). Any other option the user set that differs from the
    /// checkpoint is an error naming each difference, so that a resume never silently continues another run than the
    /// one described on the command line.
    /// </summary>
    public static RunConfig Resumed(RunConfig saved, long reached, RunConfig requested, Func<string, bool> given, string folder)
    {
        var differences = new List<string>();
        void Check<T>(string field, string option, T savedValue, T requestedValue)
        {
            if (given(field) && !EqualityComparer<T>.Default.Equals(savedValue, requestedValue))
                differences.Add($"{option} {requestedValue} (the checkpoint has {savedValue})");
        }
        Check(nameof(RunConfig.Task), "--task", saved.Task, requested.Task);
        Check(nameof(RunConfig.Model), "--model", saved.Model, requested.Model);
        Check(nameof(RunConfig.Hidden), "--hidden", saved.Hidden, requested.Hidden);
        Check(nameof(RunConfig.Layers), "--layers", saved.Layers, requested.Layers);
        Check(nameof(RunConfig.Seed), "--seed", saved.Seed, requested.Seed);
        Check(nameof(RunConfig.BatchSize), "--batch-size", saved.BatchSize, requested.BatchSize);
        Check(nameof(RunConfig.MaxTrainLength), "--train-length", saved.MaxTrainLength, requested.MaxTrainLength);
        Check(nameof(RunConfig.LearningRate), "--lr", saved.LearningRate, requested.LearningRate);
        Check(nameof(RunConfig.LogEvery), "--log-every", saved.LogEvery, requested.LogEvery);
        Check(nameof(RunConfig.CheckpointEvery), "--checkpoint-every", saved.CheckpointEvery, requested.CheckpointEvery);
        Check(nameof(RunConfig.MaxGradNorm), "max gradient norm", saved.MaxGradNorm, requested.MaxGradNorm);
        bool raiseSteps = given(nameof(RunConfig.Steps));
        if (raiseSteps && requested.Steps < reached)
            differences.Add($"--steps {requested.Steps} (the checkpoint has already trained {reached} steps)");
        if (differences.Count > 0)
            throw new InvalidOperationException($"'{folder}' holds a checkpoint of another run than the one asked for: "
                + $"{string.Join("; ", differences)}. Leave these options out to continue it, or choose another --out");
        return raiseSteps ? saved with { Steps = requested.Steps } : saved;
    }

    /// <summary>The trained parameters of a model, as the results report them.</summary>
    public static long ParameterCount(nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>Whether <paramref name="folder"/> holds a finished run of exactly <paramref name="config"/> (its checkpoint and its
    /// results).</summary>
    public static bool IsFinished(string folder, RunConfig config) =>
        File.Exists(Path.Combine(folder, "results.json")) && Checkpoints.Exists(folder) && Checkpoints.ReadState(folder).Config == config;

    /// <summary>Scores a model and packs the run's result.</summary>
    public static RunResult Score(RunConfig config, nn.Module<Tensor, Tensor> model, long parameters,
        IReadOnlyList<TrainingLogEntry> history, double trainingSeconds,
        EvalSettings eval, Device device, CancellationToken cancellation, string title)
    {
        var task = FormalTasks.Get(config.Task);
        EvaluationResult? result = null;
        var clock = Stopwatch.StartNew();
        if (eval.Lengths is { Count: > 0 } lengths)
        {
            var lastLine = DateTime.MinValue;
            int done = 0;
            // A line at most every 5 s, and at least that often: also inside one long length, per sub-batch.
            result = Evaluation.Run(model, task, lengths, eval.Batches, eval.BatchSize, eval.Seed, device, progress: l =>
            {
                done++;
                if (DateTime.UtcNow - lastLine < TimeSpan.FromSeconds(5) && done != lengths.Count) return;
                lastLine = DateTime.UtcNow;
                Console.WriteLine($"{title}  eval length {l.Length} ({done}/{lengths.Count})  accuracy {l.Accuracy:F3}");
            }, cancellation: cancellation, subBatchDone: (length, batch) =>
            {
                if (DateTime.UtcNow - lastLine < TimeSpan.FromSeconds(5) || batch == eval.Batches) return;
                lastLine = DateTime.UtcNow;
                Console.WriteLine($"{title}  eval length {length} ({done + 1}/{lengths.Count})  sub-batch {batch}/{eval.Batches}");
            });
        }
        double? score = result?.NetworkScore(config.MaxTrainLength);
        if (result is not null)
        {
            int counted = result.Lengths.Count(l => l.Length > config.MaxTrainLength);
            Console.WriteLine($"{title}: network score {100 * score:F1}% over "
                + $"{(counted > 0 ? counted : result.Lengths.Count)} lengths{(counted > 0 ? $" beyond the training range "
                    + $"1..{config.MaxTrainLength}" : "")}{(result.Stopped is null ? "" : $" (stopped: {result.Stopped})")}");
        }
        return new RunResult(config.Task, config.Model, config.Hidden, config.Layers, config.Steps, config.BatchSize, config.Seed,
            config.MaxTrainLength, parameters,
            score, result?.Lengths ?? Array.Empty<LengthAccuracy>(), history, trainingSeconds, clock.Elapsed.TotalSeconds, result?.Stopped);
    }

    /// <summary>Creates the folder and checks that files can be written there, before any work is done.</summary>
    public static void EnsureWritable(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            string probe = Path.Combine(folder, ".prlstm-write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"cannot write to '{folder}': {e.Message}");
        }
    }
}
