namespace PrLstm.Runtime.Training;

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
}

/// <summary>Training loss and accuracy averaged over one logging window.</summary>
public sealed record TrainingLogEntry(long Step, double Loss, double Accuracy, double StepsPerSecond);
