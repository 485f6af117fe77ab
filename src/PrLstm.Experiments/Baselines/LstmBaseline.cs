using TorchSharp;
using TorchSharp.Modules;
using PrLstm.Runtime.Modules;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Baselines;

/// <summary>
/// The sequential LSTM baseline (spec section 7): haiku's LSTM, h and c from zero, left to right over all positions:
/// <c>[i, g, f, o] = W [x ; h] + b</c>, <c>c' = σ(f + 1) ⊙ c + σ(i) ⊙ tanh(g)</c>, <c>h' = σ(o) ⊙ tanh(c')</c>.
/// It runs on TorchSharp's fused <see cref="nn.LSTM"/>, whose parameters are mapped exactly: W is split into
/// <c>weight_ih</c> (x columns) and <c>weight_hh</c> (h columns) with rows in torch's order [i, f, g, o];
/// <c>bias_ih</c> holds haiku's b plus the +1 forget offset; <c>bias_hh</c> is zero and frozen. Trainable
/// parameters: 4H(E + H) + 4H, as haiku's.
/// </summary>
public sealed class LstmBaseline : nn.Module<Tensor, Tensor>, IPrefixModel
{
    private readonly LSTM lstm;

    public LstmBaseline(long inputSize, long hidden, Device? device = null, ScalarType? dtype = null) : base(nameof(LstmBaseline))
    {
        ModelArguments.Positive(inputSize, nameof(inputSize));
        ModelArguments.Positive(hidden, nameof(hidden));
        InputSize = inputSize;
        OutputSize = hidden;
        lstm = nn.LSTM(inputSize, hidden, numLayers: 1, bias: true, batchFirst: true, device: device, dtype: dtype);
        RegisterComponents();

        using var noGrad = no_grad();
        // haiku: one Linear on [x ; h], fan_in = E + H, truncated normal at ±2σ, zero bias.
        double std = 1 / Math.Sqrt(inputSize + hidden);
        foreach (var (name, parameter) in lstm.named_parameters())
        {
            if (name.StartsWith("weight")) Initialization.TruncatedNormal(parameter, std);
            else parameter.zero_();
        }
        var biasIh = lstm.get_parameter("bias_ih_l0")!;
        biasIh.narrow(0, hidden, hidden).fill_(1.0); // torch's forget rows: haiku's +1 offset, folded into the bias
        lstm.get_parameter("bias_hh_l0")!.requires_grad_(false);
    }

    public long InputSize { get; }

    public long OutputSize { get; }

    /// <summary>x <c>[B, T, E]</c> → h <c>[B, T, H]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        ModelInput.Validate(this, x, InputSize, nameof(x));
        using var scope = NewDisposeScope();
        var (output, _, _) = lstm.call(x);
        return output.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The sequential RNN baseline (spec section 7): haiku's VanillaRNN with ReLU, <c>h' = relu(W_x x + b_x + W_h h + b_h)</c>
/// from zero, on TorchSharp's <see cref="nn.RNN"/> (same parameters and equation). Init: W_x from fan_in E,
/// W_h from fan_in H (truncated normal, std 1/sqrt(fan_in)), zero biases.
/// </summary>
public sealed class RnnBaseline : nn.Module<Tensor, Tensor>, IPrefixModel
{
    private readonly RNN rnn;

    public RnnBaseline(long inputSize, long hidden, Device? device = null, ScalarType? dtype = null) : base(nameof(RnnBaseline))
    {
        ModelArguments.Positive(inputSize, nameof(inputSize));
        ModelArguments.Positive(hidden, nameof(hidden));
        InputSize = inputSize;
        OutputSize = hidden;
        rnn = nn.RNN(inputSize, hidden, numLayers: 1, nonLinearity: nn.NonLinearities.ReLU, bias: true, batchFirst: true, device: device,
            dtype: dtype);
        RegisterComponents();
        using var noGrad = no_grad();
        Initialization.TruncatedNormal(rnn.get_parameter("weight_ih_l0")!, 1 / Math.Sqrt(inputSize));
        Initialization.TruncatedNormal(rnn.get_parameter("weight_hh_l0")!, 1 / Math.Sqrt(hidden));
        rnn.get_parameter("bias_ih_l0")!.zero_();
        rnn.get_parameter("bias_hh_l0")!.zero_();
    }

    public long InputSize { get; }

    public long OutputSize { get; }

    /// <summary>x <c>[B, T, E]</c> → h <c>[B, T, H]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        ModelInput.Validate(this, x, InputSize, nameof(x));
        using var scope = NewDisposeScope();
        var (output, _) = rnn.call(x);
        return output.MoveToOuterDisposeScope();
    }
}
