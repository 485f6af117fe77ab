namespace PrLstm.Runtime.Schedule;

/// <summary>How a generated model's schedules split their work (a model's <c>ScanOptions</c>; per model, not per process).</summary>
public sealed record ScanOptions
{
    private readonly long cpuBudgetBytes = 4L << 20;

    /// <summary>The defaults: CPU calls of at most 4 MiB of state.</summary>
    public static ScanOptions Default { get; } = new();

    /// <summary>
    /// The most state bytes (both operands, all fields, the whole batch) one combine or encoder call takes on the CPU;
    /// 4 MiB by default (of 1 to 16 MiB, the fastest for a PR-LSTM tree level at B = 64, T = 512 on a 2-core CPU). Tests lower it to
    /// exercise the split.
    /// </summary>
    public long CpuBudgetBytes
    {
        get => cpuBudgetBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            cpuBudgetBytes = value;
        }
    }

    /// <summary>
    /// Memory-lean training (gradient checkpointing): every call of the tree schedules' combine and of the token encoder
    /// runs without recording and keeps only its operands; the backward computes it again, with a gradient, when it
    /// reaches it. A training step then holds the scan's states instead of every gate and activation, for the price of a
    /// second forward (docs/performance.md has the numbers). Off by default; the values and gradients are the same to
    /// float rounding. Needs a body that computes the same values every time (the DSL's operations do). The sequential
    /// baseline's combines are not recomputed.
    /// </summary>
    public bool RecomputeInBackward { get; init; }
}
