using System.Diagnostics;
using PrLstm.Experiments.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Training;

/// <summary>Where a training run stands, reported every logging window.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, TrainingLogEntry Window, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>
/// Training produced a non-finite loss or gradient at <see cref="Step"/>: the run stops without applying that update
/// and without saving, so the last checkpoint on disk is the last good one.
/// </summary>
public sealed class TrainingDivergedException(long step, string what, long lastCheckpoint)
    : Exception($"training diverged at step {step}: {what}; the last good checkpoint (step {lastCheckpoint}) is kept. Try a lower --lr")
{
    public long Step { get; } = step;

    /// <summary>The step of the checkpoint left on disk (0 when none was written).</summary>
    public long LastCheckpoint { get; } = lastCheckpoint;
}

/// <summary>How a training run ended.</summary>
public sealed record TrainingOutcome(long Step, bool Interrupted, IReadOnlyList<TrainingLogEntry> History, double TrainingSeconds);

/// <summary>
/// Trains a task model as spec section 3 does: one length per batch from the curriculum, the unmasked loss,
/// global-norm clipping and Adam. Each step runs in its own dispose scope and turns its metrics into numbers
/// inside it. Checkpoints go to <c>folder</c> every CheckpointEvery steps, at the end, and when
/// the cancellation token fires (Ctrl-C): then the run stops cleanly after the current step. Progress is reported at
/// every logging window and at least once a second in between (the window so far), so that a slow run is never silent.
/// A non-finite loss or gradient stops the run with <see cref="TrainingDivergedException"/>.
/// </summary>
public sealed class Trainer
{
    private readonly RunConfig _config;
    private readonly FormalTask _task;
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Device _device;

    public Trainer(RunConfig config, nn.Module<Tensor, Tensor> model, Device? device = null)
    {
        if (config.Steps < 0) throw new ArgumentOutOfRangeException(nameof(config), "Steps must be 0 or more");
        if (config.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(config), "BatchSize must be at least 1");
        if (config.LogEvery < 1 || config.CheckpointEvery < 1) throw new ArgumentOutOfRangeException(nameof(config), "LogEvery and "
            + "CheckpointEvery must be at least 1");
        _config = config;
        _task = FormalTasks.Get(config.Task);
        _model = model;
        _device = device ?? CPU;
    }

    /// <summary>Trains from scratch, or from the checkpoint in <paramref name="folder"/> when <paramref name="resume"/> is set.</summary>
    public TrainingOutcome Run(string? folder, bool resume = false, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        var random = new TaskRandom(_config.Seed);
        torch.random.manual_seed((long)_config.Seed);
        using var optimizer = new Adam(_model.named_parameters(), _config.LearningRate, maxGradNorm: _config.MaxGradNorm);
        var history = new List<TrainingLogEntry>();
        long step = 0;
        double previousSeconds = 0, lossSum = 0, accuracySum = 0;
        int windowSteps = 0;
        if (resume)
        {
            if (folder is null) throw new ArgumentException("resuming needs the checkpoint folder", nameof(folder));
            var state = Checkpoints.ReadState(folder);
            if (state.Config with
            {
                Steps = _config.Steps,
                LogEvery = _config.LogEvery,
                CheckpointEvery = _config.CheckpointEvery
            } != _config with { })
                throw new InvalidOperationException($"the checkpoint in '{folder}' is of another run ({state.Config.Model} on "
                    + $"{state.Config.Task}, H = {state.Config.Hidden}, seed {state.Config.Seed}); start a new run in another folder");
            Checkpoints.Restore(folder, state, _model, optimizer);
            random = TaskRandom.FromState(state.SamplerState);
            step = state.Step;
            history.AddRange(state.History);
            // A run that ended mid-window logged that partial window; continue the window instead (unless the run is
            // already finished, so that nothing continues it).
            if (step < _config.Steps && history.Count > 0 && history[^1].Step % _config.LogEvery != 0) history.RemoveAt(history.Count - 1);
            (windowSteps, lossSum, accuracySum) = state.OpenWindow;
            previousSeconds = state.TrainingSeconds;
        }

        var curriculum = new Curriculum(_config.MaxTrainLength, _config.Seed);
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        bool interrupted = false;
        (int, double, double) openWindow = (windowSteps, lossSum, accuracySum);
        long startStep = step, lastCheckpoint = resume ? step : 0;
        var sinceReport = Stopwatch.StartNew();
        _model.train();

        void Save()
        {
            if (folder is null) return;
            Checkpoints.Save(folder, _model, optimizer, new CheckpointState
            {
                Config = _config,
                Step = step,
                SamplerState = random.State,
                WeightsFile = "",
                History = history.ToArray(),
                OpenWindow = openWindow,
                TrainingSeconds = previousSeconds + clock.Elapsed.TotalSeconds,
            });
            lastCheckpoint = step;
        }

        TimeSpan Remaining()
            => TimeSpan.FromSeconds(Math.Min((_config.Steps - step) / Math.Max((step - startStep) / clock.Elapsed.TotalSeconds, 1e-9),
                1e12));

        var dtype = _model.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        while (step < _config.Steps)
        {
            if (cancellation.IsCancellationRequested) { interrupted = true; break; }
            using (var scope = NewDisposeScope())
            {
                int length = curriculum.Length(step, random);
                using var batch = TaskBatch.Sample(_task, random, _config.BatchSize, length, _device, dtype);
                var logits = batch.OutputLogitsOf(_model);
                var loss = batch.Loss(logits);
                double lossValue = loss.ToDouble();
                if (!double.IsFinite(lossValue))
                    throw new TrainingDivergedException(step + 1, $"the loss is {lossValue}", lastCheckpoint);
                _model.zero_grad();
                loss.backward();
                try
                {
                    optimizer.Update();
                }
                catch (ArithmeticException e)
                {
                    throw new TrainingDivergedException(step + 1, e.Message, lastCheckpoint);
                }
                lossSum += lossValue;
                accuracySum += batch.Accuracy(logits.detach());
            }
            step++;
            windowSteps++;
            openWindow = (windowSteps, lossSum, accuracySum);
            bool logged = step % _config.LogEvery == 0 || step == _config.Steps;
            if (logged || (progress is not null && sinceReport.Elapsed >= TimeSpan.FromSeconds(1)))
            {
                // The window so far: logged when it closes, reported in between as well.
                var entry = new TrainingLogEntry(step, lossSum / windowSteps, accuracySum / windowSteps,
                    windowSteps / window.Elapsed.TotalSeconds);
                progress?.Report(new TrainingProgress(step, _config.Steps, entry, clock.Elapsed, Remaining()));
                sinceReport.Restart();
                if (logged)
                {
                    history.Add(entry);
                    if (step % _config.LogEvery == 0) openWindow = (0, 0, 0);
                    lossSum = accuracySum = 0;
                    windowSteps = 0;
                    window.Restart();
                }
            }
            if (step % _config.CheckpointEvery == 0 && step < _config.Steps) Save();
        }
        Save();
        return new TrainingOutcome(step, interrupted, history, previousSeconds + clock.Elapsed.TotalSeconds);
    }
}
