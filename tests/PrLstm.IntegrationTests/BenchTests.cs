using System.Text.Json;
using PrLstm.FormalLanguages.Cli;

namespace PrLstm.IntegrationTests;

/// <summary>`prlstm bench` on a tiny grid: every implementation is measured and written in the JSON schema.</summary>
public class BenchTests
{
    [Fact]
    public void BenchMeasuresEveryImplementationAndWritesTheRecordSchema()
    {
        var settings = new Bench.Settings(new long[] { 8 }, new long[] { 1, 2 }, new long[] { 4, 5 }, new[] { "forward", "train" },
            Bench.Implementations, 1, 2000, 8);
        var records = Bench.Run(settings, _ => { });

        Assert.Equal("matmul-peak", records[0].impl);
        Assert.True(records[0].gflops > 0);
        foreach (string impl in Bench.Implementations.Where(i => i != "stream")) // per token: StreamBench
            foreach (string mode in impl switch
            {
                "tree-matmuls" => new[] { "forward" },
                "train-matmuls" => new[] { "train" },
                _ => new[] { "forward", "train" },
            })
                foreach (long b in settings.Batches)
                    foreach (long t in settings.Lengths)
                    {
                        var record = Assert.Single(records, r => r.impl == impl && r.mode == mode && r.B == b && r.T == t);
                        Assert.True(record.median_ms > 0 && record.gflops >= 0, $"{impl} {mode} B={b} T={t}: {record}");
                    }
        Assert.Equal(1 + 7 * 2 * 2 * 2 + 2 * 2 + 2 * 2, records.Count);

        string path = Path.Combine(Path.GetTempPath(), $"prlstm-bench-{Guid.NewGuid():N}.json");
        try
        {
            Bench.WriteJson(path, records);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            foreach (var element in json.RootElement.EnumerateArray())
                Assert.Equal(new[] { "impl", "mode", "B", "T", "H", "median_ms", "gflops", "peak_mb" }, element.EnumerateObject()
                    .Select(p => p.Name));
        }
        finally
        {
            File.Delete(path);
        }

        // The grid has no H = 256 records, so every target says so instead of failing.
        Assert.All(Bench.Targets(records), line => Assert.Contains("not measured", line));
    }

    [Fact]
    public void StreamBenchMeasuresEveryImplementationPerToken()
    {
        var settings = new StreamBench.Settings(8, new long[] { 1, 2 }, new long[] { 3, 1000 }, Window: 4, Repeats: 2, MaxRecomputeGb: 1);
        var result = StreamBench.Run(settings, _ => { });
        foreach (string impl in new[] { "stream", "nn.LSTMCell", "final-recompute" })
            foreach (long b in settings.Batches)
                foreach (long t in settings.Positions)
                {
                    var record = Assert.Single(result.Records, r => r.impl == impl && r.mode == "per-token" && r.B == b && r.T == t);
                    Assert.True(record.median_ms > 0, $"{impl} B={b} t={t}: {record}");
                    Assert.Equal(2, result.Samples[(impl, b, t)].Length);
                }
        Assert.Equal(3 * 2 * 2, result.Records.Count);
        var targets = StreamBench.Targets(result, settings);
        Assert.Contains(targets, line => line.StartsWith("7. stream, B=2: time per token at t=1,000 / t=3 = ")
            && !line.Contains("not measured"));
        Assert.Contains(targets, line => line.StartsWith("9. recomputing FinalState / stream, B=1, t=1,000: ")
            && !line.Contains("not measured"));

        string folder = Directory.CreateTempSubdirectory("prlstm-bench-plots").FullName;
        try
        {
            Bench.Plots(folder, result.Records);
            foreach (string file in new[] { "time_B1.png", "time_B64.png", "memory_train_B64.png", "stream_per_token.png" })
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(folder, file))[..4]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
