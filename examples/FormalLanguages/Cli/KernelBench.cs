using System.Diagnostics;
using PrLstm.Benchmarks;
using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using PrLstm.Runtime.Schedule;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>
/// `prlstm bench --kernels`: the fused kernels against op-by-op bodies and against the matmuls alone (tree-matmuls,
/// train-matmuls), interleaved call by call (A B C A B C ...) so that the machine's drift hits every side alike; each
/// ratio is the median of the per-round ratios; training steps also with every call recomputed in the backward
/// (ScanOptions.RecomputeInBackward), and the fused kernels on .NET's thread pool instead of libtorch's OpenMP threads.
/// Then the peak memory of a training step per position, each way.
/// </summary>
public static class KernelBench
{
    /// <summary>One compared configuration: its label, the calls in the order they alternate, and the ratios reported.</summary>
    private sealed record Case(string Label, long Hidden, long Batch, long Length, bool Train);

    /// <summary>Training with every combine and encoder call recomputed in the backward (gradient checkpointing).</summary>
    private static readonly ScanOptions Recompute = new() { RecomputeInBackward = true };

    public static List<string> Run(int rounds, Action<string> log)
    {
        var lines = new List<string>();
        var cases = new[]
        {
            new Case("train H=256 B=64 T=64", 256, 64, 64, Train: true),
            new Case("train H=256 B=64 T=512", 256, 64, 512, Train: true),
            new Case("train H=64 B=128 T=40", 64, 128, 40, Train: true),
            new Case("forward H=256 B=64 T=512", 256, 64, 512, Train: false),
        };
        foreach (Case c in cases)
        {
            manual_seed(0);
            using var model = new PrLstmModel(3, c.Hidden, refinements: 1);
            using var x = randn(c.Batch, c.Length, 3);
            using var matmuls = Bench.TreeMatmuls(model, c.Batch, c.Length);
            Action Step(KernelPath path, bool recompute = false, bool dotnetThreads = false) => () =>
            {
                model.KernelPath = path;
                model.ScanOptions = recompute ? Recompute : ScanOptions.Default;
                FusedKernel.OnLibtorchThreads = !dotnetThreads;
                using var scope = NewDisposeScope();
                if (c.Train)
                {
                    model.forward(x).sum().backward();
                }
                else
                {
                    using var noGrad = no_grad();
                    model.forward(x);
                }
            };
            // Recomputation changes only training: a forward without a gradient is the same call. The fused kernels on
            // .NET's thread pool instead of libtorch's OpenMP threads, where those are found, to show what that choice is worth.
            string floor = c.Train ? "train-matmuls" : "tree-matmuls";
            var calls = new List<(string Name, Action Call)>
            {
                ("fused", Step(KernelPath.Fused)),
                ("op-by-op", Step(KernelPath.OpByOp)),
                (floor, c.Train ? matmuls.RunTraining : matmuls.Run),
            };
            if (c.Train) calls.Add(("recompute", Step(KernelPath.Automatic, recompute: true)));
            bool comparePools = FusedKernel.OnLibtorchThreads;
            if (comparePools) calls.Add(("fused on .NET threads", Step(KernelPath.Fused, dotnetThreads: true)));
            var times = Interleaved(rounds, calls.Select(entry => entry.Call).ToArray());
            FusedKernel.OnLibtorchThreads = true; // back to the default after the .NET-pool calls, for what follows
            var ratios = new List<string>
            {
                $"fused / {floor} {MedianRatio(times[0], times[2]):F2}",
                $"op-by-op / {floor} {MedianRatio(times[1], times[2]):F2}",
                $"fused / op-by-op {MedianRatio(times[0], times[1]):F2}",
            };
            for (int i = 3; i < calls.Count; i++) ratios.Add($"{calls[i].Name} / {floor} {MedianRatio(times[i], times[2]):F2}");
            if (comparePools)
                ratios.Add($"fused / fused on .NET threads {MedianRatio(times[0], times[^1]):F2}");
            string line = $"{c.Label}: {string.Join(", ", ratios)} (medians of {rounds} interleaved rounds; ms "
                + string.Join(", ", calls.Select((call, i) => $"{call.Name} {Measure.Median(times[i]):F1}")) + ")";
            log(line);
            lines.Add(line);
        }

        foreach (long length in new long[] { 64, 256, 512 })
        {
            manual_seed(0);
            using var model = new PrLstmModel(3, 256, refinements: 1);
            using var x = randn(64, length, 3);
            var ways = new (string Name, KernelPath Path, ScanOptions Options)[]
            {
                ("fused", KernelPath.Fused, ScanOptions.Default),
                ("op-by-op", KernelPath.OpByOp, ScanOptions.Default),
                ("recompute", KernelPath.Automatic, Recompute),
            };
            var perPosition = ways.Select(way =>
            {
                model.KernelPath = way.Path;
                model.ScanOptions = way.Options;
                var (_, peakMb) = Measure.Run(() =>
                {
                    using var scope = NewDisposeScope();
                    model.forward(x).sum().backward();
                }, warmUp: 0, repeats: 1, releaseFreeMemory: true);
                model.zero_grad();
                return $"{way.Name} {peakMb / length:F2} MB";
            }).ToList();
            string line = $"training memory per position, H=256 B=64 T={length}: {string.Join(", ", perPosition)}";
            log(line);
            lines.Add(line);
        }
        return lines;
    }

    /// <summary>
    /// Times each call once per round, in turn, after warm-up rounds: at least one, and until every call has run for 2 s,
    /// so that .NET has compiled the kernels' hot methods at full optimization (tiering takes a few hundred calls; before
    /// it, a fused step at H = 64, B = 8, T = 40 took twice its later time).
    /// </summary>
    private static double[][] Interleaved(int rounds, params Action[] calls)
    {
        var warm = Stopwatch.StartNew();
        do
            foreach (Action call in calls) call();
        while (warm.Elapsed.TotalSeconds < 2 * calls.Length);
        var times = calls.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
            for (int c = 0; c < calls.Length; c++)
            {
                var clock = Stopwatch.StartNew();
                calls[c]();
                times[c][r] = clock.Elapsed.TotalMilliseconds;
            }
        return times;
    }

    private static double MedianRatio(double[] a, double[] b) => Measure.Median(a.Zip(b, (x, y) => x / y));
}
