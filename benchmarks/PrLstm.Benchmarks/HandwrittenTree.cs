using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrLstm.Benchmarks;

/// <summary>
/// The yardstick: PR-LSTM (1R) written by hand the way a competent TorchSharp user would without the generator:
/// the same level-batched schedule (spec section 6) with index_select, cat and stack, separate modules per
/// layer. It reads the generated model's weights (same names), so both compute the same function.
/// </summary>
public sealed class HandwrittenTree : nn.Module<Tensor, Tensor>
{
    private readonly Linear leaf, merge, refine;
    private readonly long hidden;

    public HandwrittenTree(long inputSize, long hidden) : base(nameof(HandwrittenTree))
    {
        this.hidden = hidden;
        leaf = nn.Linear(inputSize, 3 * hidden);
        merge = nn.Linear(2 * hidden, 5 * hidden);
        refine = nn.Linear(hidden, 4 * hidden);
        RegisterComponents();
    }

    /// <summary>Copies the generated model's parameters (encoder, block, refinements.0).</summary>
    public void CopyFrom(nn.Module generated)
    {
        using var noGrad = no_grad();
        var source = generated.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        leaf.weight!.copy_(source["encoder.gates.weight"]); leaf.bias!.copy_(source["encoder.gates.bias"]);
        merge.weight!.copy_(source["block.gates.weight"]); merge.bias!.copy_(source["block.gates.bias"]);
        refine.weight!.copy_(source["refinements.0.gates.weight"]); refine.bias!.copy_(source["refinements.0.gates.bias"]);
    }

    private (Tensor H, Tensor C) Combine(Tensor hl, Tensor cl, Tensor hr, Tensor cr)
    {
        var z = merge.forward(cat(new[] { hl, hr }, -1)).chunk(5, -1);
        var c = sigmoid(z[0]) * tanh(z[1]) + sigmoid(z[3]) * cl + sigmoid(z[4]) * cr;
        var h = sigmoid(z[2]) * tanh(c);
        var u = refine.forward(h).chunk(4, -1);
        var c2 = sigmoid(u[0]) * tanh(u[1]) + sigmoid(u[3]) * c;
        return (sigmoid(u[2]) * tanh(c2), c2);
    }

    private (Tensor H, Tensor C) Scan(Tensor h, Tensor c)
    {
        long length = h.shape[1];
        if (length < 2) return (h, c);
        var device = h.device;
        long pairs = length / 2;
        var evens = arange(0, 2 * pairs, 2, device: device);
        var odds = arange(1, 2 * pairs, 2, device: device);
        var (rh, rc) = Combine(h.index_select(1, evens), c.index_select(1, evens), h.index_select(1, odds), c.index_select(1, odds));
        var (oh, oc) = Scan(rh, rc);
        var restIndex = arange(2, length, 2, device: device);
        Tensor vh = h.index_select(1, zeros(1, ScalarType.Int64, device)), vc = c.index_select(1, zeros(1, ScalarType.Int64, device));
        if (restIndex.shape[0] > 0)
        {
            var prefix = arange(0, restIndex.shape[0], device: device);
            var (eh, ec) = Combine(oh.index_select(1, prefix), oc.index_select(1, prefix), h.index_select(1, restIndex),
                c.index_select(1, restIndex));
            vh = cat(new[] { vh, eh }, 1);
            vc = cat(new[] { vc, ec }, 1);
        }
        return (Interleave(vh, oh), Interleave(vc, oc));
    }

    private static Tensor Interleave(Tensor even, Tensor odd)
    {
        long n = odd.shape[1];
        var paired = stack(new[] { even.narrow(1, 0, n), odd }, 2).reshape(even.shape[0], 2 * n, even.shape[2]);
        return even.shape[1] > n ? cat(new[] { paired, even.narrow(1, n, 1) }, 1) : paired;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var g = leaf.forward(x).chunk(3, -1);
        var c = sigmoid(g[0]) * tanh(g[1]);
        var h = sigmoid(g[2]) * tanh(c);
        return Scan(h, c).H.MoveToOuterDisposeScope();
    }
}
