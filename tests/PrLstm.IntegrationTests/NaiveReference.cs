using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// A deliberately naive PR-LSTM / PR-RNN written from the spec's equations (section 5) and the closed form of
/// the bracketing (section 6): one tensor call per tree node, separate per-gate matrices, no level batching.
/// It shares no code with the generator or the runtime; it reads the weights by their state-dict names, so it
/// also pins the parameter names and the gate layout.
/// </summary>
public sealed class NaiveReference
{
    public enum Cell { Lstm, Rnn, Gru, Coupled, Peephole, Minimal, LayerNorm }

    private readonly Dictionary<string, Tensor> _weights;
    private readonly Cell _cell;
    private readonly int _refinements;
    private readonly long _h;

    public NaiveReference(nn.Module model, bool lstm, int refinements, long h)
        : this(model, lstm ? Cell.Lstm : Cell.Rnn, refinements, h)
    {
    }

    public NaiveReference(nn.Module model, Cell cell, int refinements, long h)
    {
        _weights = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        _cell = cell;
        _refinements = refinements;
        _h = h;
    }

    /// <summary>A node's state: (h, c) for PR-LSTM, (s, null) for PR-RNN. Each [B, H].</summary>
    private readonly record struct Node(Tensor H, Tensor? C);

    /// <summary>Rows [k·H, (k+1)·H) of a fused weight or bias: gate k.</summary>
    private Tensor Gate(string layer, string kind, int k) => _weights[layer + ".gates." + kind].narrow(0, k * _h, _h);

    private Tensor Affine(string layer, int k, Tensor input) => Add(input.matmul(Gate(layer, "weight", k).t()), Gate(layer, "bias", k));

    // TorchSharp 0.107's `a + b`, `a - b` and `1 - z` make temporary Scalars whose handles go to native code without the
    // Scalars being kept alive, so a finalizer can free one mid-call (seen in CI: "Expected false to be true" in
    // Scalar::toDouble). The reference therefore adds and subtracts only through these, with Scalars kept for the run.
    private static readonly TorchSharp.Scalar One = 1, MinusOne = -1, NormEpsilon = 1e-5;

    private static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    private static Tensor Sub(Tensor a, Tensor b) => a.add(b, MinusOne);

    private static Tensor OneMinus(Tensor z) => z.neg().add(One, One);

    /// <summary>Cells with PR-LSTM's (h, c) state, encoder and refinements.</summary>
    private bool Lstm => _cell is Cell.Lstm or Cell.Coupled or Cell.Peephole or Cell.LayerNorm;

    /// <summary>(x - mean) / sqrt(var + 1e-5) · w + b over the features, w and b from block.{name}.</summary>
    private Tensor Norm(string name, Tensor x)
    {
        var mean = x.mean(new long[] { 1 }, keepdim: true);
        var variance = Sub(x, mean).square().mean(new long[] { 1 }, keepdim: true);
        return Add(Sub(x, mean) / variance.add(NormEpsilon, One).sqrt() * _weights["block." + name + ".weight"],
            _weights["block." + name + ".bias"]);
    }

    private Node Leaf(Tensor x)
    {
        if (!Lstm) return new Node(Affine("encoder", 0, x), null);
        var i = Affine("encoder", 0, x);
        var g = Affine("encoder", 1, x);
        var o = Affine("encoder", 2, x);
        var c = sigmoid(i) * tanh(g);
        return new Node(sigmoid(o) * tanh(c), c);
    }

    private Node Combine(Node left, Node right)
    {
        var hh = cat(new[] { left.H, right.H }, 1);
        Node node;
        if (_cell == Cell.Gru)
        {
            // One haiku GRU step, input = left, state = right (spec section 5); z and r_g share the gate projection.
            var z = sigmoid(Affine("block", 0, hh));
            var resetGate = sigmoid(Affine("block", 1, hh));
            var a = tanh(Add(Add(left.H.matmul(_weights["block.inputCandidate.weight"].t()),
                (resetGate * right.H).matmul(_weights["block.stateCandidate.weight"].t())), _weights["block.stateCandidate.bias"]));
            return new Node(Add(OneMinus(z) * right.H, z * a), null);
        }
        if (_cell == Cell.Minimal)
        {
            var z = sigmoid(Affine("block", 0, hh));
            return new Node(Add(OneMinus(z) * right.H, z * Affine("block", 1, hh)), null);
        }
        if (_cell == Cell.LayerNorm)
        {
            var c = Add(Add(sigmoid(Norm("normI", Affine("block", 0, hh))) * tanh(Norm("normG", Affine("block", 1, hh))),
                sigmoid(Norm("normFLeft", Affine("block", 3, hh))) * left.C!),
                    sigmoid(Norm("normFRight", Affine("block", 4, hh))) * right.C!);
            node = new Node(sigmoid(Norm("normO", Affine("block", 2, hh))) * tanh(Norm("normC", c)), c);
        }
        else if (_cell == Cell.Coupled)
        {
            var write = sigmoid(Affine("block", 0, hh));
            var share = sigmoid(Affine("block", 3, hh));
            var c = Add(write * tanh(Affine("block", 1, hh)), OneMinus(write) * Add(share * left.C!, OneMinus(share) * right.C!));
            node = new Node(sigmoid(Affine("block", 2, hh)) * tanh(c), c);
        }
        else if (Lstm)
        {
            // Peephole: the gates read [h_left ; c_left ; h_right ; c_right] (each child's fields, left child first).
            var source = _cell == Cell.Peephole ? cat(new[] { left.H, left.C!, right.H, right.C! }, 1) : hh;
            var c = Add(Add(sigmoid(Affine("block", 0, source)) * tanh(Affine("block", 1, source)),
                sigmoid(Affine("block", 3, source)) * left.C!), sigmoid(Affine("block", 4, source)) * right.C!);
            node = new Node(sigmoid(Affine("block", 2, source)) * tanh(c), c);
        }
        else
        {
            node = new Node(nn.functional.relu(Affine("block", 0, hh)), null);
        }
        for (int k = 0; k < _refinements; k++)
        {
            string layer = "refinements." + k;
            if (Lstm)
            {
                var c = Add(sigmoid(Affine(layer, 0, node.H)) * tanh(Affine(layer, 1, node.H)),
                    sigmoid(Affine(layer, 3, node.H)) * node.C!);
                node = new Node(sigmoid(Affine(layer, 2, node.H)) * tanh(c), c);
            }
            else
            {
                node = new Node(nn.functional.relu(Affine(layer, 0, node.H)), null);
            }
        }
        return node;
    }

    /// <summary>Output at every position, [B, T, H], from the closed form of the tree of each prefix.</summary>
    public Tensor Forward(Tensor x)
    {
        long length = x.shape[1];
        var leaves = new List<Node>();
        for (long t = 0; t < length; t++) leaves.Add(Leaf(x.select(1, t)));
        var levels = new List<List<Node>> { leaves };
        var memo = new Dictionary<(int, long), Node>();

        // Level l + 1 holds the pairs f(L[2k], L[2k+1]) of level l, built on demand.
        Node Element(int level, long k)
        {
            while (levels.Count <= level) levels.Add(new List<Node>());
            var nodes = levels[level];
            while (nodes.Count <= k)
            {
                long next = nodes.Count;
                nodes.Add(Combine(Element(level - 1, 2 * next), Element(level - 1, 2 * next + 1)));
            }
            return nodes[(int)k];
        }

        Node Tree(int level, long t)
        {
            if (memo.TryGetValue((level, t), out var known)) return known;
            Node node = t == 0 ? Element(level, 0)
                : t % 2 == 0 ? Combine(Tree(level, t - 1), Element(level, t))
                : Tree(level + 1, (t - 1) / 2);
            memo[(level, t)] = node;
            return node;
        }

        var outputs = new List<Tensor>();
        for (long t = 0; t < length; t++) outputs.Add(Tree(0, t).H);
        return stack(outputs, 1);
    }

    /// <summary>The left-to-right baseline, s_t = f(s_{t-1}, leaf_t).</summary>
    public Tensor ForwardSequential(Tensor x)
    {
        var state = Leaf(x.select(1, 0));
        var outputs = new List<Tensor> { state.H };
        for (long t = 1; t < x.shape[1]; t++)
        {
            state = Combine(state, Leaf(x.select(1, t)));
            outputs.Add(state.H);
        }
        return stack(outputs, 1);
    }
}
