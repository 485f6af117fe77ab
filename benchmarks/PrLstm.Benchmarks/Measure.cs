using System.Diagnostics;
using static TorchSharp.torch;

namespace PrLstm.Benchmarks;

/// <summary>One measurement, as `prlstm bench --json` writes it.</summary>
public sealed record BenchRecord(string impl, string mode, long B, long T, long H, double median_ms, double gflops, double peak_mb);

/// <summary>Timing and memory of one call, repeated: median after warm-up; peak resident memory above the start.</summary>
public static class Measure
{
    /// <summary>
    /// Median milliseconds of <paramref name="call"/> over <paramref name="repeats"/> runs after <paramref name="warmUp"/>,
    /// and the peak memory in MB above the level at the start. With <paramref name="releaseFreeMemory"/>, memory
    /// that malloc keeps for reuse is handed back first, so the peak counts everything the calls allocate (and
    /// the calls pay for fresh pages: use it for a memory probe, not for timing).
    /// </summary>
    public static (double MedianMs, double PeakMb) Run(Action call, int warmUp, int repeats, bool releaseFreeMemory = false)
    {
        for (int i = 0; i < warmUp; i++) call();
        long baseline = ResetPeak(releaseFreeMemory);
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            call();
            if (cuda.is_available()) cuda.synchronize();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[repeats / 2], Math.Max(0, PeakBytes() - baseline) / 1e6);
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Dense fp32 matmul throughput of this machine, GFLOP/s (a large torch.mm, median of 5).</summary>
    public static double MatmulPeakGflops(int size = 2048)
    {
        using var a = randn(size, size);
        using var b = randn(size, size);
        var (ms, _) = Run(() => { using var c = mm(a, b); }, warmUp: 2, repeats: 5);
        return 2.0 * size * size * size / (ms / 1000) / 1e9;
    }

    // Linux: writing 5 to /proc/self/clear_refs resets the resident-set high-water mark (VmHWM). Freed memory that
    // malloc keeps for reuse still counts as resident; handing it back first (glibc's malloc_trim) makes the peak
    // measure what the call itself allocates, not what earlier calls left in the heap.
    private static long ResetPeak(bool releaseFreeMemory)
    {
        if (releaseFreeMemory)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            PrLstm.Runtime.NativeHeap.ReleaseFreeMemory();
        }
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (Exception e) when (e is IOException
            or UnauthorizedAccessException)
        { }
        return Status("VmRSS:");
    }

    private static long PeakBytes() => Status("VmHWM:");

    /// <summary>Memory the system can still give this process, in bytes (Linux MemAvailable; elsewhere what the GC sees).</summary>
    public static long AvailableBytes() => ProcBytes("/proc/meminfo", "MemAvailable:") ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    private static long Status(string key) => ProcBytes("/proc/self/status", key) ?? 0;

    /// <summary>A "key: N kB" line of a Linux /proc file in bytes; null where the file or the key is missing.</summary>
    private static long? ProcBytes(string path, string key)
    {
        if (!File.Exists(path)) return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key));
        return line is null ? null : long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
