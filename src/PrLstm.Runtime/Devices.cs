using static TorchSharp.torch;

namespace PrLstm.Runtime;

/// <summary>The single place that picks the compute device: cuda, then mps, then cpu (models never name one).</summary>
public static class Devices
{
    /// <summary>
    /// "auto" (the default) takes the first available of cuda, mps and cpu; "cpu", "cuda", "cuda:1" or "mps"
    /// ask for that one and fail with a clear message when it is not available.
    /// </summary>
    public static Device Pick(string? name = "auto")
    {
        name = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        if (name == "auto")
            return cuda.is_available() ? CUDA : mps_is_available() ? MPS : CPU;
        if (name.StartsWith("cuda") && !cuda.is_available())
            throw new ArgumentException($"device '{name}' was asked for, but CUDA is not available (this build uses the TorchSharp-cpu "
                + $"backend or no GPU is visible); use --device cpu (see the README, section Devices)");
        if (name == "mps" && !mps_is_available())
            throw new ArgumentException("device 'mps' was asked for, but it is not available here");
        try
        {
            return device(name);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or System.Runtime.InteropServices.ExternalException)
        {
            throw new ArgumentException($"'{name}' is not a device name; use auto, cpu, cuda, cuda:N or mps");
        }
    }
}
