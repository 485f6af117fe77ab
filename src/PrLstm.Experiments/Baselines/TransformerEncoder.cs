using TorchSharp;
using TorchSharp.Modules;
using PrLstm.Runtime.Modules;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Baselines;

/// <summary>
/// The Transformer encoder baseline exactly as NNCH codes it (spec section 7): a bias-free embedding scaled by
/// √d, sin/cos positions over the positions T, T-1, ..., 1 (concatenated halves), dropout, then post-LN layers
/// of bias-free multi-head attention (no causal mask) and a ReLU feed-forward of width 4d. The readout is
/// applied without relu (<see cref="TaskModel"/> with reluBeforeReadout = false). As in the reference, dropout
/// stays active at evaluation unless the constructor's dropoutAtEvaluation is false.
/// </summary>
public sealed class TransformerEncoder : nn.Module<Tensor, Tensor>, IPrefixModel
{
    private readonly Linear embedding;
    private readonly ModuleList<EncoderLayer> layers;
    private readonly long model, heads;
    private readonly double dropout;
    private readonly bool dropoutAtEvaluation;

    /// <param name="inputSize">Token size E.</param>
    /// <param name="layerCount">Encoder layers (NNCH default 5; the PR-LSTM runs used 2).</param>
    /// <param name="modelSize">d (64).</param>
    /// <param name="headCount">Heads (8 heads of 8).</param>
    /// <param name="dropout">Dropout rate (0.1).</param>
    /// <param name="dropoutAtEvaluation">Keep dropout on in eval mode too, as the reference does.</param>
    /// <param name="device">Where the parameters live.</param>
    /// <param name="dtype">The parameters' type.</param>
    public TransformerEncoder(long inputSize, int layerCount = 2, long modelSize = 64, long headCount = 8, double dropout = 0.1,
        bool dropoutAtEvaluation = true, Device? device = null, ScalarType? dtype = null)
        : base(nameof(TransformerEncoder))
    {
        ModelArguments.Positive(inputSize, nameof(inputSize));
        ModelArguments.Positive(layerCount, nameof(layerCount));
        if (modelSize % headCount != 0 || modelSize % 2 != 0)
            throw new ArgumentException($"the model size {modelSize} must be even and divisible by the {headCount} heads",
                nameof(modelSize));
        InputSize = inputSize;
        model = modelSize;
        heads = headCount;
        this.dropout = dropout;
        this.dropoutAtEvaluation = dropoutAtEvaluation;
        embedding = nn.Linear(inputSize, modelSize, hasBias: false, device: device, dtype: dtype);
        layers = new ModuleList<EncoderLayer>(Enumerable.Range(0, layerCount).Select(_ => new EncoderLayer(modelSize, device, dtype))
            .ToArray());
        RegisterComponents();
        Initialization.ResetParameters(this);
        using var noGrad = no_grad();
        Initialization.TruncatedNormal(embedding.weight!, 0.02); // the reference's embedding init
    }

    public long InputSize { get; }

    public long OutputSize => model;

    private bool DropoutOn => training || dropoutAtEvaluation;

    /// <summary>x <c>[B, T, E]</c> → h <c>[B, T, d]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        ModelInput.Validate(this, x, InputSize, nameof(x));
        using var scope = NewDisposeScope();
        long length = x.shape[1];
        var h = embedding.forward(x) * Math.Sqrt(model) + Positions(length, x.dtype, x.device); // [B, T, d]
        h = nn.functional.dropout(h, dropout, DropoutOn);
        foreach (var layer in layers)
            h = layer.Forward(h, heads, dropout, DropoutOn);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>[sin(pos·f) ‖ cos(pos·f)] with pos = T, T-1, ..., 1 and f_j = 10000^(-2j/d).</summary>
    private Tensor Positions(long length, ScalarType dtype, Device device)
    {
        var positions = arange(length, 0, -1, dtype: ScalarType.Float64, device: device).unsqueeze(1); // [T, 1]
        var frequencies = pow(10000.0, -2.0 * arange(model / 2, dtype: ScalarType.Float64, device: device) / model); // [d/2]
        var angles = positions * frequencies; // [T, d/2]
        return cat(new[] { angles.sin(), angles.cos() }, 1).to_type(dtype); // [T, d]
    }

    /// <summary>One post-LN layer: h = LN(h + drop(MHA(h))); h = LN(h + drop(FFN(h))).</summary>
    private sealed class EncoderLayer : nn.Module
    {
        private readonly Linear query, key, value, output, hidden, projection;
        private readonly LayerNorm attentionNorm, feedForwardNorm;

        public EncoderLayer(long model, Device? device, ScalarType? dtype) : base(nameof(EncoderLayer))
        {
            query = nn.Linear(model, model, hasBias: false, device: device, dtype: dtype);
            key = nn.Linear(model, model, hasBias: false, device: device, dtype: dtype);
            value = nn.Linear(model, model, hasBias: false, device: device, dtype: dtype);
            output = nn.Linear(model, model, hasBias: false, device: device, dtype: dtype);
            attentionNorm = nn.LayerNorm(model, device: device, dtype: dtype);
            hidden = nn.Linear(model, 4 * model, hasBias: true, device: device, dtype: dtype);
            projection = nn.Linear(4 * model, model, hasBias: true, device: device, dtype: dtype);
            feedForwardNorm = nn.LayerNorm(model, device: device, dtype: dtype);
            RegisterComponents();
        }

        public Tensor Forward(Tensor h, long heads, double dropout, bool dropoutOn)
        {
            long batch = h.shape[0], length = h.shape[1], model = h.shape[2], headSize = model / heads;
            Tensor Split(Tensor t) => t.view(batch, length, heads, headSize).transpose(1, 2); // [B, heads, T, hs]
            var q = Split(query.forward(h));
            var k = Split(key.forward(h));
            var v = Split(value.forward(h));
            var weights = (q.matmul(k.transpose(2, 3)) / Math.Sqrt(headSize)).softmax(-1); // [B, heads, T, T]
            var attended = weights.matmul(v).transpose(1, 2).reshape(batch, length, model); // [B, T, d]
            var a = attentionNorm.forward(h + nn.functional.dropout(output.forward(attended), dropout, dropoutOn));
            var f = projection.forward(nn.functional.relu(hidden.forward(a)));
            return feedForwardNorm.forward(a + nn.functional.dropout(f, dropout, dropoutOn));
        }
    }
}
