using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// The reference implementation's initialisation (haiku defaults, as the PR-LSTM paper's code uses them): every Linear weight from a
/// normal with std 1/sqrt(fan_in), truncated at ±2 std (no variance re-correction), and zero biases.
/// TorchSharp's own Linear default (Kaiming-uniform) differs, so models reset their parameters with this.
/// TorchSharp 0.107's <c>nn.init.trunc_normal_</c> fills the tensor with the value of <c>std</c> instead of
/// sampling (checked: every element equals std), so the truncated normal is drawn here.
/// </summary>
public static class Initialization
{
    /// <summary>Re-initialises every <see cref="Linear"/> in <paramref name="module"/> and its children.</summary>
    public static void ResetParameters(nn.Module module)
    {
        using var noGrad = no_grad();
        foreach (var child in module.modules())
        {
            if (child is not Linear linear) continue;
            double std = 1.0 / Math.Sqrt(linear.weight!.shape[1]);
            TruncatedNormal(linear.weight, std);
            if (linear.bias is not null)
                nn.init.zeros_(linear.bias);
        }
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> from N(0, std²) truncated to [-2 std, 2 std], by the inverse CDF (as
    /// PyTorch's trunc_normal_ does): u ~ U(Φ(-2), Φ(2)), then x = std·√2·erfinv(2u - 1).
    /// </summary>
    public static void TruncatedNormal(Tensor tensor, double std)
    {
        using var noGrad = no_grad();
        double low = NormalCdf(-2), high = NormalCdf(2);
        tensor.uniform_(2 * low - 1, 2 * high - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2));
        tensor.clamp_(-2 * std, 2 * std);
    }

    private static double NormalCdf(double x) => 0.5 * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>erf by Abramowitz-Stegun 7.1.26 (|error| &lt; 1.5e-7, ample for the bounds of a uniform draw).</summary>
    private static double Erf(double x)
    {
        double sign = Math.Sign(x);
        x = Math.Abs(x);
        double t = 1 / (1 + 0.3275911 * x);
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }
}
