using PrLstm.Runtime.Schedule;
using static TorchSharp.torch;

namespace PrLstm.Benchmarks;

/// <summary>
/// The floor under any PR-LSTM (1R) tree scan on this machine: only the block and refinement matmuls that the
/// scan makes, call by call with the scan's shapes, on inputs prepared beforehand: no activations, no copies, no
/// schedule. An implementation that does these multiplications cannot be faster than this.
/// </summary>
public sealed class TreeMatmuls : IDisposable
{
    private readonly List<(Tensor Block, Tensor Refine)> inputs = new();
    private readonly Tensor blockWeight, blockBias, refineWeight, refineBias;

    /// <summary>Prepares random inputs for every combine call of a tree scan of <paramref name="length"/> positions.</summary>
    public TreeMatmuls(long batch, long length, Tensor blockWeight, Tensor blockBias, Tensor refineWeight, Tensor refineBias)
    {
        (this.blockWeight, this.blockBias, this.refineWeight, this.refineBias) = (blockWeight, blockBias, refineWeight, refineBias);
        long hidden = refineWeight.shape[1];
        var calls = new CallSizes();
        TreeScan.Prefix(new CountingState(length), calls);
        foreach (long pairs in calls.Pairs)
            inputs.Add((randn(batch, pairs, 2 * hidden), randn(batch, pairs, hidden)));
    }

    /// <summary>Runs every matmul once (with bias, as nn.Linear does).</summary>
    public void Run()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (block, refine) in inputs)
        {
            nn.functional.linear(block, blockWeight, blockBias);
            nn.functional.linear(refine, refineWeight, refineBias);
        }
    }

    public void Dispose()
    {
        foreach (var (block, refine) in inputs)
        {
            block.Dispose();
            refine.Dispose();
        }
    }

    /// <summary>Records the number of pairs of each combine call.</summary>
    private sealed class CallSizes : IScanCombine<CountingState>
    {
        public List<long> Pairs { get; } = new();

        public CountingState Combine(CountingState left, CountingState right)
        {
            Pairs.Add(left.Length);
            return left;
        }
    }
}
