using System.Diagnostics;
using PrLstm.Benchmarks;
using PrLstm.Experiments.Tasks;
using PrLstm.Experiments.Training;
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
/// (ScanOptions.RecomputeInBackward), and the fused kernels on .NET's thread pool instead of libtorch's OpenMP threads;
/// and the fused path with its kernels computing nothing (KernelFloor): the floor under any elementwise implementation
/// inside this schedule and autograd. Then the peak memory of a training step per position, each way.
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
            string yardstick = c.Train ? "train-matmuls" : "tree-matmuls";
            var calls = new List<(string Name, Action Call)>
            {
                ("fused", Step(KernelPath.Fused)),
                ("op-by-op", Step(KernelPath.OpByOp)),
                (yardstick, c.Train ? matmuls.RunTraining : matmuls.Run),
                ("kernels free", () => KernelFloor.Measuring(Step(KernelPath.Fused))),
            };
            if (c.Train) calls.Add(("recompute", Step(KernelPath.Automatic, recompute: true)));
            bool comparePools = FusedKernel.OnLibtorchThreads;
            if (comparePools) calls.Add(("fused on .NET threads", Step(KernelPath.Fused, dotnetThreads: true)));
            var times = Interleaved(rounds, calls.Select(entry => entry.Call).ToArray());
            FusedKernel.OnLibtorchThreads = true; // back to the default after the .NET-pool calls, for what follows
            var ratios = new List<string>
            {
                $"fused / {yardstick} {MedianRatio(times[0], times[2]):F2}",
                $"op-by-op / {yardstick} {MedianRatio(times[1], times[2]):F2}",
                $"fused / op-by-op {MedianRatio(times[0], times[1]):F2}",
            };
            for (int i = 3; i < calls.Count; i++) ratios.Add($"{calls[i].Name} / {yardstick} {MedianRatio(times[i], times[2]):F2}");
            if (comparePools)
                ratios.Add($"fused / fused on .NET threads {MedianRatio(times[0], times[^1]):F2}");
            string line = $"{c.Label}: {string.Join(", ", ratios)} (medians of {rounds} interleaved rounds; ms "
                + string.Join(", ", calls.Select((call, i) => $"{call.Name} {Measure.Median(times[i]):F1}")) + ")";
            log(line);
            lines.Add(line);
        }

        string trainer = TrainerStep(rounds);
        log(trainer);
        lines.Add(trainer);

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
    /// `prlstm train`'s step on parity_check (PR-LSTM 1R, H = 64, B = 128, the curriculum's lengths 1 to 40, Adam), in
    /// blocks of 40 steps on the same batches: computing the last position alone (what the trainer does for a
    /// single-output task) against every prefix, each on the fused and on the op-by-op bodies, and against the matmuls of
    /// the last position's combines alone (forward and both backward products of the block and refinement projections).
    /// Every prefix on the op-by-op bodies is what the trainer did before the fused-kernel work; so the ratios show how much
    /// each of the two changes gives and how far the step is from its matmuls. The last position fused with its kernels
    /// computing nothing (KernelFloor) is the floor under any elementwise implementation of that step.
    /// </summary>
    private static string TrainerStep(int rounds)
    {
        const int Hidden = 64, Batch = 128, Steps = 40, MaxLength = 40;
        var config = new RunConfig { Task = "parity_check", Model = "pr-lstm", Hidden = Hidden, BatchSize = Batch };
        using var model = ModelCatalog.Build(config, CPU);
        var core = (PrLstmModel)model.Core;
        using var optimizer = new Adam(model.named_parameters(), config.LearningRate,
            maxGradNorm: config.MaxGradNorm);
        var task = FormalTasks.Get(config.Task);
        var lengths = new int[Steps];
        var curriculum = new Curriculum(MaxLength, 7);
        var random = new TaskRandom(7);
        for (int step = 0; step < Steps; step++) lengths[step] = curriculum.Length(step, random);
        var matmuls = lengths.Distinct().ToDictionary(t => t, t => Bench.TreeMatmuls(core, Batch, t, lastPositionOnly: true));
        try
        {
            Action Block(bool everyPosition, KernelPath path) => () =>
            {
                model.ComputeEveryPosition = everyPosition;
                core.KernelPath = path;
                var batches = new TaskRandom(11);
                foreach (int length in lengths)
                {
                    using var scope = NewDisposeScope();
                    using var batch = TaskBatch.Sample(task, batches, Batch, length, CPU, ScalarType.Float32);
                    var loss = batch.Loss(batch.OutputLogitsOf(model));
                    model.zero_grad();
                    loss.backward();
                    optimizer.Update();
                }
            };
            var times = Interleaved(rounds, Block(false, KernelPath.Automatic), Block(false, KernelPath.OpByOp),
                Block(true, KernelPath.Automatic), Block(true, KernelPath.OpByOp), () =>
                {
                    foreach (int length in lengths) matmuls[length].RunTraining();
                }, () => KernelFloor.Measuring(Block(false, KernelPath.Fused)));
            model.ComputeEveryPosition = false;
            core.KernelPath = KernelPath.Automatic;
            string Ms(int i) => $"{Measure.Median(times[i]) / Steps:F1}";
            string Ratio(int a, int b) => $"{MedianRatio(times[a], times[b]):F2}";
            return $"prlstm train's step, parity_check H=64 B=128 lengths 1-40 (blocks of {Steps} steps): every prefix / last "
                + $"position: fused {Ratio(2, 0)}, op-by-op {Ratio(3, 1)}; op-by-op / fused: last position {Ratio(1, 0)}, every prefix "
                + $"{Ratio(3, 2)}; every prefix op-by-op / last position fused {Ratio(3, 0)}; last position / its matmuls: fused "
                + $"{Ratio(0, 4)}, op-by-op {Ratio(1, 4)}, fused with its kernels free {Ratio(5, 4)} (medians of {rounds} interleaved "
                + $"rounds; ms per step: last fused {Ms(0)}, last op-by-op {Ms(1)}, every fused {Ms(2)}, every op-by-op {Ms(3)}, "
                + $"matmuls {Ms(4)}, last fused kernels free {Ms(5)})";
        }
        finally
        {
            foreach (var m in matmuls.Values) m.Dispose();
        }
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
