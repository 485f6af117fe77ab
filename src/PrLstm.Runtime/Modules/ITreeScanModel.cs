using PrLstm.Runtime.Schedule;

namespace PrLstm.Runtime.Modules;

/// <summary>
/// A generated parallel recursive model, with the settings of how it runs: what code outside the model (a trainer, a
/// benchmark) sets without knowing the model's type. Every setting changes speed or memory, not the values (to float
/// rounding).
/// </summary>
public interface ITreeScanModel : IStreamingModel
{
    /// <summary>How the schedules split their work and whether training recomputes each call in the backward.</summary>
    ScanOptions ScanOptions { get; set; }

    /// <summary>How every layer runs its body (op-by-op libtorch calls or the fused CPU kernels).</summary>
    KernelPath KernelPath { get; set; }
}
