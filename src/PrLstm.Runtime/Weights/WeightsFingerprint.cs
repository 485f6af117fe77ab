using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Weights;

/// <summary>A digest of a module's parameters and buffers, to tell whether saved work belongs to these weights.</summary>
public static class WeightsFingerprint
{
    /// <summary>SHA-256 (hex) over every state-dict entry's name, dtype, shape and bytes, in state-dict order.</summary>
    public static string Of(nn.Module module)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in module.state_dict())
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{name}|{tensor.dtype}|{string.Join(",", tensor.shape)}|"));
            hash.AppendData(tensor.detach().cpu().contiguous().bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
