using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// The reference implementation's initialisation (haiku defaults, spec section 5): every Linear weight from a
/// normal with std 1/sqrt(fan_in), truncated at ±2 std (no variance re-correction), and zero biases.
/// TorchSharp's own Linear default (Kaiming-uniform) differs, so models reset their parameters with this.
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
            nn.init.trunc_normal_(linear.weight, mean: 0.0, std: std, a: -2 * std, b: 2 * std);
            if (linear.bias is not null)
                nn.init.zeros_(linear.bias);
        }
    }
}
