using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Builds the shipped models with random weights (biases too) for numerical tests.</summary>
public static class TestModels
{
    public const long InputSize = 3;
    public const long Hidden = 6;

    public enum Kind { PrLstm, PrRnn }

    public static nn.Module<Tensor, Tensor> Create(Kind kind, int refinements, ScalarType dtype, long seed = 1)
    {
        manual_seed(seed);
        nn.Module<Tensor, Tensor> model = kind == Kind.PrLstm
            ? new PrLstmModel(InputSize, Hidden, refinements, dtype: dtype)
            : new PrRnnModel(InputSize, Hidden, refinements, dtype: dtype);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.EndsWith(".bias")) parameter.copy_(randn_like(parameter) * 0.5);
        return model;
    }

    public static Tensor Sequential(nn.Module<Tensor, Tensor> model, Tensor x) => model switch
    {
        PrLstmModel lstm => lstm.ForwardSequential(x),
        PrRnnModel rnn => rnn.ForwardSequential(x),
        _ => throw new ArgumentException("not a shipped model"),
    };

    public static Tensor Final(nn.Module<Tensor, Tensor> model, Tensor x) => model switch
    {
        PrLstmModel lstm => lstm.FinalState(x).h,
        PrRnnModel rnn => rnn.FinalState(x).s,
        _ => throw new ArgumentException("not a shipped model"),
    };

    /// <summary>Sets how a shipped model's schedules split their calls.</summary>
    public static void SetScanOptions(nn.Module<Tensor, Tensor> model, PrLstm.Runtime.Schedule.ScanOptions options)
    {
        switch (model)
        {
            case PrLstmModel lstm: lstm.ScanOptions = options; break;
            case PrRnnModel rnn: rnn.ScanOptions = options; break;
            default: throw new ArgumentException("not a shipped model");
        }
    }

    /// <summary>Largest |a - b| / (atol + rtol·|b|); at most 1 means close.</summary>
    public static double Closeness(Tensor actual, Tensor expected, double rtol, double atol)
    {
        using var scope = NewDisposeScope();
        return ((actual - expected).abs() / (atol + rtol * expected.abs())).max().ToDouble();
    }

    /// <summary>
    /// Float32 gradients are sums of many products whose summation order differs between the fused and the naive
    /// code; an element that cancels to near zero then carries the rounding of the large terms. So these are
    /// compared relative to the tensor's largest magnitude: |a - b| ≤ atol + rtol·max|b|.
    /// </summary>
    public static void AssertCloseToScale(Tensor actual, Tensor expected, double rtol, double atol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        double scale = expected.abs().max().ToDouble();
        double error = (actual - expected).abs().max().ToDouble();
        double closeness = error / (atol + rtol * scale);
        Assert.True(closeness <= 1, $"{what}: max error {error:G3} at scale {scale:G3} is {closeness:F2}× the tolerance (rtol {rtol}, "
            + $"atol {atol})");
    }

    /// <summary>Same shape and bit-for-bit the same values.</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }

    public static void AssertClose(Tensor actual, Tensor expected, double rtol, double atol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double closeness = Closeness(actual, expected, rtol, atol);
        Assert.True(closeness <= 1, $"{what}: differs by {closeness:F2}× the tolerance (rtol {rtol}, atol {atol})");
    }
}
