using PrLstm.Experiments.Baselines;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Experiments.Tests;

public class BaselineTests
{
    private static long Trainable(nn.Module module) => module.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    [Fact]
    public void LstmParameterCountMatchesTheSpec()
    {
        // Spec section 5: the sequential LSTM baseline with H = 256 on even_pairs (D = 3, C = 2) has 266,754.
        using var model = new TaskModel(new LstmBaseline(3, 256), 2);
        Assert.Equal(266_754, Trainable(model));
    }

    [Fact]
    public void LstmFollowsHaikusEquationsWithTheForgetOffset()
    {
        // Step by step from the equations of spec section 7 with W = [weight_ih | weight_hh] in haiku's gate
        // order [i, g, f, o] (torch stores [i, f, g, o]) and b = bias_ih - 1 on the forget rows.
        manual_seed(2);
        using var lstm = new LstmBaseline(3, 4, dtype: ScalarType.Float64);
        using (no_grad()) foreach (var p in lstm.parameters().Where(p => p.requires_grad)) p.add_(randn_like(p) * 0.3);
        var w = lstm.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        Assert.True(w["lstm.bias_hh_l0"].eq(0).all().item<bool>());
        Tensor Rows(Tensor t, int gate) => t.narrow(0, gate * 4, 4); // torch order: 0 i, 1 f, 2 g, 3 o
        using var x = randn(new long[] { 2, 6, 3 }, dtype: ScalarType.Float64);
        var h = zeros(new long[] { 2, 4 }, dtype: ScalarType.Float64);
        var c = zeros(new long[] { 2, 4 }, dtype: ScalarType.Float64);
        var outputs = new List<Tensor>();
        for (int t = 0; t < 6; t++)
        {
            Tensor Gate(int g) => x.select(1, t).matmul(Rows(w["lstm.weight_ih_l0"], g).t())
                + h.matmul(Rows(w["lstm.weight_hh_l0"], g).t()) + Rows(w["lstm.bias_ih_l0"], g);
            var f = Gate(1) - 1; // haiku's f, before its +1
            c = sigmoid(f + 1) * c + sigmoid(Gate(0)) * tanh(Gate(2));
            h = sigmoid(Gate(3)) * tanh(c);
            outputs.Add(h);
        }
        var expected = stack(outputs, 1);
        Assert.True(lstm.forward(x).allclose(expected, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void LstmStartsWithTheForgetOffsetAndZeroBiases()
    {
        using var lstm = new LstmBaseline(3, 5);
        var bias = lstm.named_parameters().Single(p => p.name == "lstm.bias_ih_l0").parameter;
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 }, bias.data<float>().ToArray()[..10]);
    }

    [Fact]
    public void RnnUsesReluAndTwoBiases()
    {
        manual_seed(3);
        using var rnn = new RnnBaseline(2, 3, dtype: ScalarType.Float64);
        var w = rnn.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using (no_grad()) { w["rnn.bias_ih_l0"].fill_(0.1); w["rnn.bias_hh_l0"].fill_(-0.3); }
        using var x = randn(new long[] { 1, 4, 2 }, dtype: ScalarType.Float64);
        var h = zeros(new long[] { 1, 3 }, dtype: ScalarType.Float64);
        var outputs = new List<Tensor>();
        for (int t = 0; t < 4; t++)
        {
            h = nn.functional.relu(x.select(1, t).matmul(w["rnn.weight_ih_l0"].t()) + w["rnn.bias_ih_l0"]
                + h.matmul(w["rnn.weight_hh_l0"].t()) + w["rnn.bias_hh_l0"]);
            outputs.Add(h);
        }
        Assert.True(rnn.forward(x).allclose(stack(outputs, 1), rtol: 1e-12, atol: 1e-12));
        Assert.Equal(3 * 2 + 3 + 3 * 3 + 3, Trainable(rnn));
    }

    [Fact]
    public void TransformerKeepsDropoutAtEvaluationLikeTheReferenceUnlessAskedNotTo()
    {
        using var x = randn(2, 7, 3);
        using var reference = new TransformerEncoder(3, layerCount: 2);
        reference.eval();
        Assert.False(reference.forward(x).equal(reference.forward(x)).all().item<bool>());
        using var deterministic = new TransformerEncoder(3, layerCount: 2, dropoutAtEvaluation: false);
        deterministic.eval();
        Assert.True(deterministic.forward(x).equal(deterministic.forward(x)).all().item<bool>());
        Assert.Equal(new long[] { 2, 7, 64 }, deterministic.forward(x).shape);
    }

    [Fact]
    public void TransformerAttendsToEveryPositionWithoutACausalMask()
    {
        // Changing the last token changes the output at position 0 (no causal mask, as in NNCH).
        using var model = new TransformerEncoder(3, layerCount: 1, dropout: 0);
        model.eval();
        using var x = randn(1, 5, 3);
        using var changed = x.clone();
        changed[0, 4] = tensor(new float[] { 9, 9, 9 });
        Assert.False(model.forward(x)[0, 0].allclose(model.forward(changed)[0, 0]));
    }
}
