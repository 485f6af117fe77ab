namespace PrLstm.Experiments.Training;

/// <summary>
/// Everything that defines a training run, saved in every checkpoint so that <c>eval</c>, <c>predict</c> and
/// <c>--resume</c> rebuild the same model. Defaults are the paper's (spec section 3).
/// </summary>
public sealed record RunConfig
{
    /// <summary>Task name, e.g. "parity_check".</summary>
    public required string Task { get; init; }

    /// <summary>Model name, e.g. "pr-lstm" (see the CLI's model list).</summary>
    public required string Model { get; init; }

    /// <summary>State size H (the Transformer's model size d).</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Refinement layers K of the parallel recursive models (1R by default); layers of the Transformer.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Training updates (the reference loop runs training_steps + 1 = 1,000,001).</summary>
    public long Steps { get; init; } = 1_000_001;

    public int BatchSize { get; init; } = 128;

    /// <summary>Training lengths are 1..MaxTrainLength.</summary>
    public int MaxTrainLength { get; init; } = 40;

    public double LearningRate { get; init; } = 1e-3;

    public double MaxGradNorm { get; init; } = 1.0;

    public ulong Seed { get; init; }

    /// <summary>Average the training metrics over, and report, every this many steps.</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Save a checkpoint every this many steps (and at the end, and on Ctrl-C).</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>
    /// Every way this configuration is out of range (see <see cref="RunLimits"/>), each naming the field; empty when it
    /// is valid. Checked before a model is built from it, so a configuration from a file cannot ask for gigabytes.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Range(string name, double value, double min, double max)
        {
            if (!(value >= min && value <= max)) problems.Add($"{name} {value} is outside {min}..{max}");
        }
        if (string.IsNullOrEmpty(Task)) problems.Add("Task is empty");
        else if (!Tasks.FormalTasks.All.Any(t => t.Name == Task)) problems.Add($"Task '{Task}' is not a known task");
        if (string.IsNullOrEmpty(Model)) problems.Add("Model is empty");
        Range(nameof(Hidden), Hidden, 1, RunLimits.MaxHidden);
        Range(nameof(Layers), Layers, 0, RunLimits.MaxLayers);
        Range(nameof(Steps), Steps, 0, RunLimits.MaxSteps);
        Range(nameof(BatchSize), BatchSize, 1, RunLimits.MaxBatchSize);
        Range(nameof(MaxTrainLength), MaxTrainLength, 1, RunLimits.MaxLength);
        if (!(double.IsFinite(LearningRate) && LearningRate > 0 && LearningRate <= RunLimits.MaxLearningRate))
            problems.Add($"LearningRate {LearningRate} is not in (0, {RunLimits.MaxLearningRate}]");
        if (!(double.IsFinite(MaxGradNorm) && MaxGradNorm > 0))
            problems.Add($"MaxGradNorm {MaxGradNorm} is not a positive number");
        Range(nameof(LogEvery), LogEvery, 1, int.MaxValue);
        Range(nameof(CheckpointEvery), CheckpointEvery, 1, int.MaxValue);
        return problems;
    }
}

/// <summary>
/// The ranges every size of a run must lie in, on the command line and in checkpoint files alike. Generous (the
/// paper uses H = 256, B = 128, lengths up to 500) but finite, so that a typo or a hostile file is refused before
/// anything is allocated rather than by the allocator.
/// </summary>
public static class RunLimits
{
    public const int MaxHidden = 8192;
    public const int MaxLayers = 64;
    public const long MaxSteps = 1_000_000_000_000;
    public const int MaxBatchSize = 65_536;
    /// <summary>The longest sequence trained on, tested on, or sampled.</summary>
    public const int MaxLength = 1_000_000;
    /// <summary>The most test lengths in one evaluation.</summary>
    public const int MaxLengthCount = 1_000_000;
    public const int MaxEvalBatches = 10_000;
    public const double MaxLearningRate = 10;
}

/// <summary>Training loss and accuracy averaged over one logging window.</summary>
public sealed record TrainingLogEntry(long Step, double Loss, double Accuracy, double StepsPerSecond);
