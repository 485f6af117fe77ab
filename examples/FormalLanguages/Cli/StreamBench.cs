using System.Diagnostics;
using PrLstm.Benchmarks;
using PrLstm.FormalLanguages.Models;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>
/// `prlstm bench --impls stream`: the cost of one more token for a model that has read t tokens, three ways, side by
/// side in one run: the stream (PrefixStream, impl "stream"), a TorchSharp nn.LSTMCell step ("nn.LSTMCell", the
/// cost of an LSTM), and recomputing the model's FinalState over the t + 1 tokens ("final-recompute"). Records have
/// mode "per-token" and T = t. Each repeat visits every (t, implementation) in turn (A B C A B C ...), so that the
/// machine's drift hits all of them alike; the targets are medians of per-repeat ratios.
/// </summary>
public static class StreamBench
{
    public sealed record Settings(long Hidden, long[] Batches, long[] Positions, int Window, int Repeats, double MaxRecomputeGb);

    public static Settings Quick
        => new(256, new long[] { 1, 64 }, new long[] { 10, 1_000, 100_000 }, Window: 64, Repeats: 5, MaxRecomputeGb: 4);

    public static Settings Full => Quick with { Repeats = 9 };

    private const long InputSize = 3;

    /// <summary>Per-repeat milliseconds per token, by (impl, B, t).</summary>
    public sealed record Result(List<BenchRecord> Records, Dictionary<(string Impl, long B, long T), double[]> Samples);

    public static Result Run(Settings s, Action<string> log)
    {
        var records = new List<BenchRecord>();
        var samples = new Dictionary<(string, long, long), double[]>();
        manual_seed(0);
        using var model = new PrLstmModel(InputSize, s.Hidden, refinements: 1);
        using var cell = nn.LSTMCell(InputSize, s.Hidden);
        using var noGrad = no_grad();
        // One stream of one sequence, positioned at each t by real pushes and saved; a batch of B rows starts from
        // that state copied to every row, which is exactly the state of B rows that all read the same tokens.
        string folder = Directory.CreateTempSubdirectory("prlstm-stream-bench").FullName;
        try
        {
            var positioned = new Dictionary<long, string>();
            var clock = Stopwatch.StartNew();
            using (var stream = model.OpenStream(1))
            {
                foreach (long t in s.Positions.Order())
                {
                    while (stream.Position < t)
                    {
                        using var scope = NewDisposeScope();
                        stream.Push(randn(1, Math.Min(1024, t - stream.Position), InputSize));
                    }
                    positioned[t] = Path.Combine(folder, $"t{t}.safetensors");
                    stream.Save(positioned[t]);
                }
            }
            log($"stream            positioned at t = {string.Join(", ", s.Positions)} by {s.Positions.Max():N0} pushes (B = 1) in "
                + $"{clock.Elapsed.TotalSeconds:F1} s");

            foreach (long b in s.Batches)
            {
                var saved = positioned.ToDictionary(kv => kv.Key, kv => b == 1 ? kv.Value : Replicated(kv.Value, b));
                using var tokens = randn(b, s.Window, InputSize);
                var times = new Dictionary<(string, long, long), List<double>>();
                void Add(string impl, long t, double ms) => (times.TryGetValue((impl, b, t), out var l) ? l : times[(impl, b, t)] = new())
                    .Add(ms);
                for (int r = 0; r < s.Repeats; r++)
                {
                    foreach (long t in s.Positions)
                    {
                        using (var stream = model.OpenStream(b))
                        {
                            stream.Restore(saved[t]);
                            Add("stream", t, PerToken(s.Window, k => stream.Push(tokens.select(1, k))));
                        }
                        // The cell's state lives across steps, as the stream's does: out of the step's scope.
                        Tensor h = zeros(b, s.Hidden).DetachFromDisposeScope(), c = zeros(b, s.Hidden).DetachFromDisposeScope();
                        Add("nn.LSTMCell", t, PerToken(s.Window, k =>
                        {
                            var (nextH, nextC) = cell.call(tokens.select(1, k), (h, c));
                            h.Dispose();
                            c.Dispose();
                            (h, c) = (nextH.DetachFromDisposeScope(), nextC.DetachFromDisposeScope());
                        }));
                        h.Dispose();
                        c.Dispose();
                        double gb = 20.0 * b * (t + 1) * s.Hidden * sizeof(float) / 1e9;
                        if (gb <= s.MaxRecomputeGb)
                        {
                            using var prefix = randn(b, t + 1, InputSize);
                            Add("final-recompute", t, PerToken(1, _ => model.FinalState(prefix)));
                        }
                        else if (r == 0)
                        {
                            log($"final-recompute   B={b,-4} t={t,-7} skipped: needs about {gb:F0} GB");
                        }
                    }
                }
                foreach (var ((impl, batch, t), list) in times)
                {
                    double median = Measure.Median(list);
                    samples[(impl, batch, t)] = list.ToArray();
                    records.Add(new BenchRecord(impl, "per-token", batch, t, s.Hidden, Math.Round(median, 4), 0, 0));
                    log($"{impl,-17} per-token B={batch,-4} t={t,-7} {median * 1000,10:F1} µs per token");
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        return new Result(records, samples);
    }

    /// <summary>A saved one-row stream as a saved stream of <paramref name="batch"/> identical rows (a file beside it).</summary>
    private static string Replicated(string path, long batch)
    {
        using var scope = NewDisposeScope();
        var tensors = PrLstm.Runtime.Weights.Safetensors.Read(path, out var metadata);
        var header = new Dictionary<string,
            string>(metadata)
        { ["batch"] = batch.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        string copy = Path.ChangeExtension(path, $".B{batch}.safetensors");
        PrLstm.Runtime.Weights.Safetensors.Write(copy, tensors.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.expand(batch, -1))),
            header);
        return copy;
    }

    /// <summary>Milliseconds per call of <paramref name="step"/>, over <paramref name="count"/> calls (each in its own dispose
    /// scope).</summary>
    private static double PerToken(int count, Action<long> step)
    {
        var clock = Stopwatch.StartNew();
        for (long k = 0; k < count; k++)
        {
            using var scope = NewDisposeScope();
            step(k);
        }
        return clock.Elapsed.TotalMilliseconds / count;
    }

    /// <summary>The streaming issue's targets, as medians of per-repeat ratios from one run.</summary>
    public static List<string> Targets(Result result, Settings s)
    {
        string Ratio(string a, long ba, long ta, string b, long bb, long tb)
        {
            if (!result.Samples.TryGetValue((a, ba, ta), out var x)
                || !result.Samples.TryGetValue((b, bb, tb), out var y)) return "not measured";
            return Measure.Median(x.Zip(y, (p, q) => p / q)).ToString("F2");
        }
        long first = s.Positions.Min(), last = s.Positions.Max();
        var lines = new List<string>();
        foreach (long b in s.Batches)
            lines.Add($"7. stream, B={b}: time per token at t={last:N0} / t={first} = "
                + $"{Ratio("stream", b, last, "stream", b, first)} (target ≤ 1.3)");
        foreach (long t in s.Positions)
            lines.Add($"8. stream / nn.LSTMCell step, B=1, t={t:N0}: {Ratio("stream", 1, t, "nn.LSTMCell", 1, t)} (target ≤ 6)");
        foreach (long b in s.Batches)
            lines.Add($"9. recomputing FinalState / stream, B={b}, t=1,000: "
                + $"{Ratio("final-recompute", b, 1000, "stream", b, 1000)} (target ≥ 100)");
        return lines;
    }
}
