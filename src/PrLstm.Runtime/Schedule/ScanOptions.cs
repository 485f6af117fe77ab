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
}
