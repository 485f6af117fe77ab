using PrLstm.Runtime.Schedule;
using static TorchSharp.torch;

namespace PrLstm.Benchmarks;

/// <summary>
/// The floor under any PR-LSTM (1R) tree scan on this machine: only the block and refinement matmuls that the
/// scan makes, call by call with the scan's shapes, on inputs prepared beforehand: no activations, no copies, no
/// schedule. An implementation that does these multiplications cannot be faster than this. <see cref="RunTraining"/>
/// is the same floor for a training step: each forward product and both backward products of every projection.
/// </summary>
public sealed class TreeMatmuls : IDisposable
{
    private readonly List<(Tensor Block, Tensor Refine)> inputs = new();
    private readonly List<(Tensor Block, Tensor Refine)> outputGradients = new();
    private readonly Tensor blockWeight, blockBias, refineWeight, refineBias;

    /// <summary>
    /// Prepares random inputs for every combine call of a tree scan of <paramref name="length"/> positions: of every prefix,
    /// or with <paramref name="lastPositionOnly"/> of the last one alone (<see cref="Reduce.Final"/>'s calls, what a training
    /// step of a single-output task computes).
    /// </summary>
    public TreeMatmuls(long batch, long length, Tensor blockWeight, Tensor blockBias, Tensor refineWeight, Tensor refineBias,
        bool lastPositionOnly = false)
    {
        (this.blockWeight, this.blockBias, this.refineWeight, this.refineBias) = (blockWeight, blockBias, refineWeight, refineBias);
        long hidden = refineWeight.shape[1];
        var calls = new CallSizes();
        if (lastPositionOnly) Reduce.Final(new CountingState(length), calls);
        else TreeScan.Prefix(new CountingState(length), calls);
        foreach (long pairs in calls.Pairs)
        {
            inputs.Add((randn(batch, pairs, 2 * hidden), randn(batch, pairs, hidden)));
            outputGradients.Add((randn(batch, pairs, blockWeight.shape[0]), randn(batch, pairs, refineWeight.shape[0])));
        }
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

    /// <summary>
    /// The matmuls of a training step, call by call: for each projection y = x·Wᵀ + b, the forward product, the
    /// gradient of the input (dy·W) and the gradient of the weight (dyᵀ·x over the batch and the pairs).
    /// </summary>
    public void RunTraining()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int i = 0; i < inputs.Count; i++)
        {
            foreach (var (x, dy, weight, bias) in new[]
            {
                (inputs[i].Block, outputGradients[i].Block, blockWeight, blockBias),
                (inputs[i].Refine, outputGradients[i].Refine, refineWeight, refineBias),
            })
            {
                nn.functional.linear(x, weight, bias);
                matmul(dy, weight);
                mm(dy.reshape(-1, dy.shape[2]).t(), x.reshape(-1, x.shape[2]));
            }
        }
    }

    public void Dispose()
    {
        foreach (var (block, refine) in inputs.Concat(outputGradients))
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
