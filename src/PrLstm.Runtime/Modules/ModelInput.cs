using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Modules;

/// <summary>Checks a model's input before any native call, so mistakes give clear messages instead of native errors.</summary>
public static class ModelInput
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="x"/> is a floating-point <c>[B, T, E]</c> tensor
    /// with B ≥ 1, T ≥ 1 and E = <paramref name="inputSize"/>, on the device and with the dtype of the model's parameters.
    /// </summary>
    public static void Validate(nn.Module model, Tensor x, long inputSize, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.IsInvalid)
            throw new ArgumentException($"{name} has been disposed.", name);
        if (x.dim() != 3)
            throw new ArgumentException($"{name} must have shape [B, T, E] (rank 3), but has shape {Shape(x)}.", name);
        if (x.size(2) != inputSize)
            throw new ArgumentException($"{name} has {x.size(2)} features per token (shape {Shape(x)}), but the model's input size E is "
                + $"{inputSize}.", name);
        if (x.size(0) == 0)
            throw new ArgumentException($"{name} is an empty batch (shape {Shape(x)}); B must be at least 1.", name);
        if (x.size(1) == 0)
            throw new ArgumentException($"{name} has no positions (shape {Shape(x)}); sequences need at least one token (T ≥ 1).", name);
        MatchesParameters(model, x, name);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="x"/> is floating-point, with the dtype and on the
    /// device of the model's parameters.
    /// </summary>
    private static void MatchesParameters(nn.Module model, Tensor x, string name)
    {
        if (ParameterTypeAndDevice(model) is var (dtype, device))
            MatchesParameters(x, dtype, device, name);
        else if (!is_floating_point(x))
            throw NotFloatingPoint(x, name);
    }

    /// <summary>The dtype and device of the model's first parameter, which its inputs must match; null without parameters.</summary>
    private static (ScalarType DType, Device Device)? ParameterTypeAndDevice(nn.Module model)
    {
        using var parameters = model.parameters().GetEnumerator();
        return parameters.MoveNext() ? (parameters.Current.dtype, parameters.Current.device) : null;
    }

    /// <summary>
    /// The dtype and device a stream over <paramref name="model"/> works in (its parameters'); throws
    /// <see cref="ArgumentException"/> for a model without parameters.
    /// </summary>
    public static (ScalarType DType, Device Device) StreamedParameters(nn.Module model, string name) =>
        ParameterTypeAndDevice(model)
            ?? throw new ArgumentException("A streamed model needs parameters (they fix its dtype and device).", name);

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless <paramref name="x"/> is floating-point, of the parameters' dtype
    /// <paramref name="dtype"/> and on their device <paramref name="device"/>.
    /// </summary>
    public static void MatchesParameters(Tensor x, ScalarType dtype, Device device, string name)
    {
        if (!is_floating_point(x))
            throw NotFloatingPoint(x, name);
        if (x.dtype != dtype)
            throw new ArgumentException($"{name} has dtype {x.dtype} but the model's parameters are {dtype}; convert one to match "
                + $"(x.to_type(...) or model.to(...)).", name);
        if (x.device_type != device.type || x.device_index != device.index)
            throw new ArgumentException($"{name} is on {x.device} but the model's parameters are on {device}; move one to match "
                + $"(x.to(device) or model.to(device)).", name);
    }

    private static ArgumentException NotFloatingPoint(Tensor x, string name) =>
        new($"{name} has dtype {x.dtype}; the model needs floating-point input such as one-hot float32 vectors.", name);

    /// <summary>
    /// Checks the tokens pushed into a stream of <paramref name="batch"/> rows before anything runs: x <c>[B, E]</c> (one
    /// token per row) or <c>[B, N, E]</c> with N ≥ 1, floating-point, of the model's dtype and on its device. Returns N.
    /// </summary>
    public static long ValidateTokens(Tensor x, long batch, long inputSize, ScalarType dtype, Device device, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.IsInvalid)
            throw new ArgumentException($"{name} has been disposed.", name);
        if (x.dim() is not (2 or 3))
            throw new ArgumentException($"{name} has shape {Shape(x)}; a stream reads [B = {batch}, E = {inputSize}] (one token per row) "
                + $"or [B = {batch}, N, E = {inputSize}].", name);
        if (x.size(0) != batch)
            throw new ArgumentException($"{name} has {x.size(0)} rows (shape {Shape(x)}) but the stream was opened for a batch of "
                + $"{batch}; rows advance together.", name);
        if (x.size(-1) != inputSize)
            throw new ArgumentException($"{name} has {x.size(-1)} features per token (shape {Shape(x)}), but the model's input size E "
                + $"is {inputSize}.", name);
        if (x.dim() == 3 && x.size(1) == 0)
            throw new ArgumentException($"{name} has no tokens (shape {Shape(x)}); push at least one.", name);
        MatchesParameters(x, dtype, device, name);
        return x.dim() == 2 ? 1 : x.size(1);
    }

    /// <summary>A tensor's shape as <c>[2, 5, 3]</c>, for messages.</summary>
    public static string Shape(Tensor x) => "[" + string.Join(", ", x.shape) + "]";
}
