using BenchmarkDotNet.Attributes;
using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.MicroBenchmarks;

/// <summary>
/// One level of the tree: the combine f(left, right) of PR-LSTM (1R, H = 256) on B × N pairs, as the generated
/// model runs it without a gradient, against the same arithmetic written plainly (cat, chunk, one tensor per
/// operation, torch.tanh) as the hand-written yardstick does.
/// </summary>
[MemoryDiagnoser(false)]
public class LevelBenchmarks
{
    private const long Hidden = 256;
    private PrLstmModel model = null!;
    private LstmState.Tensors left, right;
    private Tensor blockWeight = null!, blockBias = null!, refineWeight = null!, refineBias = null!;

    /// <summary>Pairs in the level, across the batch (B × N): B = 1 at T = 512, and a cache-sized piece at B = 64.</summary>
    [Params(256, 1024)]
    public long Pairs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        manual_seed(0);
        model = new PrLstmModel(3, Hidden, refinements: 1);
        left = new LstmState.Tensors(randn(1, Pairs, Hidden), randn(1, Pairs, Hidden));
        right = new LstmState.Tensors(randn(1, Pairs, Hidden), randn(1, Pairs, Hidden));
        var p = model.named_parameters().ToDictionary(q => q.name, q => (Tensor)q.parameter);
        (blockWeight, blockBias) = (p["block.gates.weight"], p["block.gates.bias"]);
        (refineWeight, refineBias) = (p["refinements.0.gates.weight"], p["refinements.0.gates.bias"]);
    }

    [Benchmark(Baseline = true)]
    public void Plain()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var z = nn.functional.linear(cat(new[] { left.h, right.h }, -1), blockWeight, blockBias).chunk(5, -1);
        var c = sigmoid(z[0]) * tanh(z[1]) + sigmoid(z[3]) * left.c + sigmoid(z[4]) * right.c;
        var h = sigmoid(z[2]) * tanh(c);
        var u = nn.functional.linear(h, refineWeight, refineBias).chunk(4, -1);
        var c2 = sigmoid(u[0]) * tanh(u[1]) + sigmoid(u[3]) * c;
        _ = sigmoid(u[2]) * tanh(c2);
    }

    [Benchmark]
    public void Generated()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.Combine(left, right);
    }

    [Benchmark]
    public void MatmulsOnly()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        nn.functional.linear(cat(new[] { left.h, right.h }, -1), blockWeight, blockBias);
        nn.functional.linear(left.h, refineWeight, refineBias);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        model.Dispose();
        left.Dispose();
        right.Dispose();
    }
}

/// <summary>tanh on the CPU: torch.tanh against Elementwise.Tanh (2·sigmoid(2x) − 1 in one buffer), 1,024 × 256 values.</summary>
[MemoryDiagnoser(false)]
public class TanhBenchmarks
{
    private Tensor x = null!;

    [GlobalSetup]
    public void Setup() => x = randn(1024, 256) * 3;

    [Benchmark(Baseline = true)]
    public void TorchTanh()
    {
        using var y = tanh(x);
    }

    [Benchmark]
    public void ElementwiseTanh()
    {
        using var noGrad = no_grad();
        using var y = Elementwise.Tanh(x);
    }

    [Benchmark]
    public void Sigmoid()
    {
        using var y = sigmoid(x);
    }

    [GlobalCleanup]
    public void Cleanup() => x.Dispose();
}
