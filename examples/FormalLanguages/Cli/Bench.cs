using System.Text.Json;
using PrLstm.Benchmarks;
using PrLstm.FormalLanguages.Models;
using PrLstm.Experiments.Baselines;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>
/// `prlstm bench`: time, throughput and memory of the generated PR-LSTM (1R) executions against yardsticks, side
/// by side in one run (docs/performance.md). FLOPs count the block and leaf matmuls (2 per multiply-add); a
/// training step counts 3× the forward.
/// </summary>
public static class Bench
{
    public static readonly string[] Implementations = { "tree", "final", "sequential", "handwritten-tree", "naive", "nn.LSTM",
        "transformer", "tree-matmuls", "train-matmuls",
        "stream" };

    public sealed record Settings(long[] Hidden, long[] Batches, long[] Lengths, string[] Modes, string[] Impls, int Repeats,
        double LimitMs, long NaiveMaxLength);

    public static Settings Quick
        => new(new long[] { 256 }, new long[] { 1, 64 }, new long[] { 16, 64, 256, 512, 2048 }, new[] { "forward", "train" },
            Implementations, 3, 2000, 256);

    public static Settings Full
        => new(new long[] { 256, 64 }, new long[] { 1, 64, 256 }, new long[] { 16, 64, 256, 512, 2048, 8192 },
            new[] { "forward", "train" }, Implementations, 7, 2000, 512);

    public static List<BenchRecord> Run(Settings settings, Action<string> log)
    {
        const long inputSize = 3;
        var records = new List<BenchRecord>();
        // The peak is measured at the start and again at the end (machines drift during a run); the higher one is
        // recorded, so that fractions of it are not flattered by a slow moment.
        double peakAtStart = Measure.MatmulPeakGflops();
        log($"dense fp32 matmul peak (2048 x 2048 torch.mm): {peakAtStart:F1} GFLOP/s on {get_num_threads()} threads");

        foreach (long h in settings.Hidden)
        {
            manual_seed(0);
            using var model = new PrLstmModel(inputSize, h, refinements: 1);
            using var handwritten = new HandwrittenTree(inputSize, h);
            handwritten.CopyFrom(model);
            using var lstm = nn.LSTM(inputSize, h, batchFirst: true);
            using var transformer = new TransformerEncoder(inputSize, layerCount: 2, dropout: 0);
            double combineFlops = 2.0 * (2 * h) * (5 * h) + 2.0 * h * (4 * h);
            double leafFlops = 2.0 * inputSize * 3 * h;

            foreach (string mode in settings.Modes)
                foreach (string impl in settings.Impls.Where(i => i != "stream")) // per token, not per sequence: StreamBench
                    foreach (long b in settings.Batches)
                        foreach (long t in settings.Lengths)
                        {
                            if (impl == "naive" && t > settings.NaiveMaxLength) break;
                            Func<Tensor, Tensor> forward = impl switch
                            {
                                "tree" => x => model.forward(x),
                                "final" => x => model.FinalState(x).h,
                                "sequential" => x => model.ForwardSequential(x),
                                "handwritten-tree" => x => handwritten.forward(x),
                                "naive" => x => NaiveScan.Prefix(model.Encode(x), model.Combine).h,
                                "nn.LSTM" => x => lstm.call(x).Item1,
                                "transformer" => x => transformer.forward(x),
                                "tree-matmuls" or "train-matmuls" => x => x,
                                _ => throw new ArgumentException($"unknown implementation '{impl}'; use "
                                    + $"{string.Join(", ", Implementations)}"),
                            };
                            double flops = impl switch
                            {
                                "tree" or "handwritten-tree" or "naive" => b * (CountingCombine.Tree(t) * combineFlops + t * leafFlops),
                                "tree-matmuls" or "train-matmuls" => b * CountingCombine.Tree(t) * combineFlops,
                                "final" => b * (CountingCombine.Final(t) * combineFlops + t * leafFlops),
                                "sequential" => b * ((t - 1) * combineFlops + t * leafFlops),
                                "nn.LSTM" => b * t * 2.0 * 4 * h * (inputSize + h),
                                _ => b * 2 * (t * 2.0 * inputSize * 64 + 2 * (8.0 * t * 64 * 64 + 4.0 * t * t * 64 + 16.0 * t * 64 * 64)),
                            } * (mode == "train" ? 3 : 1);

                            // A call that would not fit in memory would get the process killed: skip it and the rest of the series.
                            double need = EstimatedPeakBytes(impl, mode, b, t, h);
                            long available = Measure.AvailableBytes();
                            if (need > 0.6 * available)
                            {
                                log($"{impl,-17} {mode,-7} B={b,-4} T={t,-5} skipped: needs about {need / 1e9:F1} GB, "
                                    + $"{available / 1e9:F1} GB available");
                                break;
                            }
                            using var x = randn(b, t, inputSize);
                            // tree-matmuls is the floor under the tree's forward: its block and refinement matmuls alone;
                            // train-matmuls the floor under its training step: the same forward products and both backward ones.
                            if (impl == "tree-matmuls" && mode != "forward") break;
                            if (impl == "train-matmuls" && mode != "train") break;
                            using var matmuls = impl is "tree-matmuls" or "train-matmuls" ? TreeMatmuls(model, b, t) : null;
                            Action call = matmuls is not null ? (impl == "train-matmuls" ? matmuls.RunTraining : matmuls.Run) : () =>
                            {
                                using var scope = NewDisposeScope();
                                if (mode == "forward")
                                {
                                    using var noGrad = no_grad();
                                    forward(x);
                                }
                                else
                                {
                                    forward(x).sum().backward();
                                }
                            };
                            // A first call from released memory gives the peak (and stops the series when it alone is over the
                            // limit); the time is the median of warm calls after it. A series stops at the first time over the limit.
                            var probe = Measure.Run(call, warmUp: 0, repeats: 1, releaseFreeMemory: true);
                            double ms = probe.MedianMs > settings.LimitMs ? probe.MedianMs
                                : Measure.Run(call, warmUp: 0, repeats: settings.Repeats).MedianMs;
                            double mb = probe.PeakMb;
                            long recordedH = impl == "transformer" ? 64 : h;
                            var record = new BenchRecord(impl, mode, b, t, recordedH, Math.Round(ms, 3),
                                Math.Round(flops / (ms / 1000) / 1e9, 2), Math.Round(mb, 1));
                            records.Add(record);
                            log($"{impl,-17} {mode,-7} H={recordedH,-4} B={b,-4} T={t,-5} {ms,10:F2} ms {record.gflops,8:F1} GFLOP/s "
                                + $"{mb,8:F1} MB");
                            if (ms > settings.LimitMs) break;
                        }
        }
        double peakAtEnd = Measure.MatmulPeakGflops();
        log($"dense fp32 matmul peak again at the end: {peakAtEnd:F1} GFLOP/s; recorded: {Math.Max(peakAtStart, peakAtEnd):F1}");
        records.Insert(0, new BenchRecord("matmul-peak", "forward", 0, 0, 0, 0, Math.Round(Math.Max(peakAtStart, peakAtEnd), 2), 0));
        return records;
    }

    /// <summary>
    /// A generous estimate of one call's peak memory, from the sizes measured here: the Transformer's attention
    /// holds B · 8 heads · T² scores per layer (about 3 such tensors at a time in a forward, 8 kept for backward);
    /// the recurrent models hold a few dozen H-sized values per position (about 100 in a training step, or in the
    /// hand-written and naive trees, which keep every level).
    /// </summary>
    private static double EstimatedPeakBytes(string impl, string mode, long b, long t, long h)
    {
        bool train = mode == "train";
        if (impl == "transformer") return (train ? 8.0 : 3.0) * b * 8 * t * t * sizeof(float);
        double perPosition = train || impl is "handwritten-tree" or "naive" ? 100 : 20;
        return perPosition * b * t * h * sizeof(float);
    }

    internal static TreeMatmuls TreeMatmuls(PrLstmModel model, long batch, long length, bool lastPositionOnly = false)
    {
        var p = model.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
        return new TreeMatmuls(batch, length, p["block.gates.weight"], p["block.gates.bias"], p["refinements.0.gates.weight"],
            p["refinements.0.gates.bias"], lastPositionOnly);
    }

    /// <summary>The targets of the performance issue, as measured ratios from one run.</summary>
    public static List<string> Targets(IReadOnlyList<BenchRecord> records)
    {
        BenchRecord? Find(string impl, string mode, long b, long t, long h = 256)
            => records.FirstOrDefault(r => r.impl == impl && r.mode == mode && r.B == b && r.T == t && r.H == h);
        string Ratio(BenchRecord? a, BenchRecord? b, Func<BenchRecord, BenchRecord, double> f, string format) => a is null || b is null
            ? "not measured" : f(a, b).ToString(format);
        double peak = records.First(r => r.impl == "matmul-peak").gflops;
        var tree64 = Find("tree", "forward", 64, 512);
        var floor64 = Find("tree-matmuls", "forward", 64, 512);
        var (tree1, floor1, handwritten1) = (Find("tree", "forward", 1, 512), Find("tree-matmuls", "forward", 1, 512),
            Find("handwritten-tree", "forward", 1, 512));
        var (tree2048, floor2048, lstm2048, sequential2048) = (Find("tree", "forward", 1, 2048), Find("tree-matmuls", "forward", 1, 2048),
            Find("nn.LSTM", "forward", 1, 2048), Find("sequential", "forward", 1, 2048));
        string Time(BenchRecord? a, BenchRecord? b) => Ratio(a, b, (x, y) => x.median_ms / y.median_ms, "F2");
        string PerPosition(string impl, long h)
            => string.Join(" / ",
                new[] { 64L, 256, 512 }.Select(t => Find(impl, "train", 64, t, h) is { } r ? (r.peak_mb / t).ToString("F2") : "–"));
        string OfPeak(BenchRecord? r) => r is null ? "not measured" : $"{r.gflops:F1} GFLOP/s = {r.gflops / peak:P0}";
        var lines = new List<string>
        {
            $"1. tree forward B=64 T=512 H=256: {OfPeak(tree64)} of the matmul peak {peak:F1} (target ≥ 80%); its matmuls alone "
                + $"(tree-matmuls): {OfPeak(floor64)}",
            $"2. hand-written / generated tree time, T=512: B=1 {Time(handwritten1, tree1)}x, B=64 "
                + $"{Time(Find("handwritten-tree", "forward", 64, 512), tree64)}x (target ≥ 1.5x); the most any tree can reach, "
                    + $"hand-written / tree-matmuls: B=1 {Time(handwritten1, floor1)}x, B=64 "
                        + $"{Time(Find("handwritten-tree", "forward", 64, 512), floor64)}x",
            $"3. final / tree time, B=64 T=512: {Time(Find("final", "forward", 64, 512), tree64)} (target ≤ 0.55)",
            $"4. B=1 T=2048: tree / nn.LSTM time {Time(tree2048, lstm2048)} (target ≤ 1.2); sequential / tree "
                + $"{Time(sequential2048, tree2048)} (target ≥ 8); bounds from the matmuls alone: tree-matmuls / nn.LSTM "
                    + $"{Time(floor2048, lstm2048)}, sequential / tree-matmuls {Time(sequential2048, floor2048)}",
            $"5. training step, B=64, peak MB per position at T=64/256/512: tree {PerPosition("tree", 256)}, transformer "
                + $"{PerPosition("transformer", 64)} (constant = linear growth); train-vs-forward ratio to nn.LSTM at T=512: tree "
                    + $"{Time(Find("tree", "train", 64, 512), Find("nn.LSTM", "train", 64, 512))} vs forward "
                        + $"{Time(tree64, Find("nn.LSTM", "forward", 64, 512))} (target: train within 2x of forward)",
            $"7. training step / its matmuls alone (train-matmuls), B=64 H=256: T=64 "
                + $"{Time(Find("tree", "train", 64, 64), Find("train-matmuls", "train", 64, 64))}, T=512 "
                    + $"{Time(Find("tree", "train", 64, 512), Find("train-matmuls", "train", 64, 512))} (target ≤ 1.15)",
        };
        return lines;
    }

    /// <summary>Live tensors after 1,000 forward calls minus before (0 means no leak).</summary>
    public static long LeakCheck()
    {
        using var model = new PrLstmModel(3, 32, refinements: 1);
        using var x = randn(4, 33, 3);
        void Call() { using var scope = NewDisposeScope(); using var noGrad = no_grad(); model.forward(x); model.FinalState(x); }
        for (int i = 0; i < 5; i++) Call();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 1000; i++) Call();
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount - before;
    }

    /// <summary>The series the plots show: H = 256, and the Transformer (recorded with its model size d = 64).</summary>
    private static bool Plotted(BenchRecord r) => r.H == 256 || r.impl == "transformer";

    public static void Plots(string folder, IReadOnlyList<BenchRecord> records)
    {
        Directory.CreateDirectory(folder);
        foreach (long b in new long[] { 1, 64 })
            LinePlot(Path.Combine(folder, $"time_B{b}.png"), $"forward time, B = {b}, H = 256 (log-log)", "log10 T", "log10 median ms",
                records.Where(r => r.mode == "forward" && r.B == b && r.impl != "matmul-peak" && Plotted(r)).GroupBy(r => r.impl),
                r => Math.Log10(r.T), r => Math.Log10(r.median_ms));
        var perToken = records.Where(r => r.mode == "per-token").ToList();
        if (perToken.Count > 0)
            LinePlot(Path.Combine(folder, "stream_per_token.png"), "one more token after t tokens, H = 256 (log-log)", "log10 t",
                "log10 µs per token",
                perToken.GroupBy(r => $"{r.impl}, B = {r.B}"), r => Math.Log10(r.T), r => Math.Log10(r.median_ms * 1000));
        LinePlot(Path.Combine(folder, "memory_train_B64.png"), "training step, B = 64: peak resident memory above the start", "T", "MB",
            records.Where(r => r.mode == "train" && r.B == 64 && r.impl is "tree" or "sequential" or "nn.LSTM" or "transformer"
                && Plotted(r)).GroupBy(r => r.impl),
            r => r.T, r => r.peak_mb);
    }

    /// <summary>One line per group (its key is the legend), points in order of T.</summary>
    private static void LinePlot(string path, string title, string xLabel, string yLabel,
        IEnumerable<IGrouping<string, BenchRecord>> series,
        Func<BenchRecord, double> x, Func<BenchRecord, double> y)
    {
        var plot = new ScottPlot.Plot();
        foreach (var group in series)
        {
            var points = group.OrderBy(r => r.T).ToList();
            plot.Add.Scatter(points.Select(x).ToArray(), points.Select(y).ToArray()).LegendText = group.Key;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        PrLstm.FormalLanguages.Cli.Plots.SavePng(plot, path);
    }

    public static void WriteJson(string path, IReadOnlyList<BenchRecord> records) =>
        PrLstm.Runtime.Weights.AtomicFile.WriteAllText(path,
            JsonSerializer.Serialize(records, new JsonSerializerOptions { WriteIndented = true }));
}
