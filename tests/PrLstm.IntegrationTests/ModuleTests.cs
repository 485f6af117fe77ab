using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Parameters, initialisation, input checks, memory and weights files of the generated modules.</summary>
public class ModuleTests
{
    [Fact]
    public void ParametersHavePyTorchStyleNamesAndFusedGateShapes()
    {
        using var model = new PrLstmModel(inputSize: 3, H: 5, refinements: 2);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new[]
        {
            "encoder.gates.weight", "encoder.gates.bias", "block.gates.weight", "block.gates.bias",
            "refinements.0.gates.weight", "refinements.0.gates.bias", "refinements.1.gates.weight", "refinements.1.gates.bias",
        }, shapes.Keys);
        Assert.Equal(new long[] { 15, 3 }, shapes["encoder.gates.weight"]);   // [i | g | o] x D
        Assert.Equal(new long[] { 25, 10 }, shapes["block.gates.weight"]);    // [i | g | o | fl | fr] x [h_l ; h_r]
        Assert.Equal(new long[] { 20, 5 }, shapes["refinements.1.gates.weight"]); // [i | g | o | f] x h
    }

    [Theory]
    [InlineData(1, 922_880)]
    [InlineData(0, 659_712)]
    [InlineData(2, 1_186_048)]
    public void ParameterCountMatchesTheSpecFormulaWithoutTheReadout(int refinements, long expected)
    {
        // Spec section 5: 3H·D + 3H + (10H² + 5H) + K(4H² + 4H) + H·C + C; for even_pairs (D = 3, C = 2, H = 256)
        // 923,394 / 660,226 / 1,186,562 for K = 1 / 0 / 2. The readout (H·C + C = 514) belongs to the task head.
        using var model = new PrLstmModel(inputSize: 3, H: 256, refinements: refinements);
        Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
        Assert.Equal(expected + 514, expected switch { 922_880 => 923_394L, 659_712 => 660_226L, _ => 1_186_562L });
    }

    [Fact]
    public void PrRnnParameterCountMatchesTheSpec()
    {
        using var model = new PrRnnModel(inputSize: 3, H: 256, refinements: 1);
        Assert.Equal(198_658 - 514, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void WeightsAreTruncatedNormalWithFanInStdAndBiasesAreZero()
    {
        manual_seed(11);
        using var model = new PrLstmModel(inputSize: 40, H: 128, refinements: 1);
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (name.EndsWith("bias"))
            {
                Assert.Equal(0.0, parameter.abs().max().ToDouble());
                continue;
            }
            double std = 1 / Math.Sqrt(parameter.shape[1]);
            Assert.True(parameter.abs().max().ToDouble() <= 2 * std + 1e-7, $"{name} exceeds 2 std");
            // A normal truncated at ±2σ (no re-correction) has std ≈ 0.880σ.
            double measured = parameter.std().ToDouble();
            Assert.True(measured / std is > 0.86 and < 0.90, $"{name}: std is {measured / std:F4} σ");
        }
    }

    [Fact]
    public void BadInputGivesClearArgumentExceptions()
    {
        using var model = new PrLstmModel(inputSize: 3, H: 4);
        Assert.Contains("rank 3", Assert.Throws<ArgumentException>(() => model.forward(zeros(2, 3))).Message);
        Assert.Contains("input size E is 3", Assert.Throws<ArgumentException>(() => model.forward(zeros(2, 5, 4))).Message);
        Assert.Contains("T ≥ 1", Assert.Throws<ArgumentException>(() => model.forward(zeros(2, 0, 3))).Message);
        Assert.Contains("empty batch", Assert.Throws<ArgumentException>(() => model.forward(zeros(0, 4, 3))).Message);
        Assert.Contains("Float64",
            Assert.Throws<ArgumentException>(() => model.forward(zeros(new long[] { 2, 4, 3 }, dtype: ScalarType.Float64))).Message);
        Assert.Contains("floating-point",
            Assert.Throws<ArgumentException>(() => model.forward(zeros(new long[] { 2, 4, 3 }, dtype: ScalarType.Int64))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrLstmModel(inputSize: 0, H: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PrLstmModel(inputSize: 3, H: 4, refinements: -1));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void SingleTokenAndBothFloatTypesWork(ScalarType dtype)
    {
        using var model = new PrLstmModel(inputSize: 3, H: 4, dtype: dtype);
        using var x = randn(new long[] { 2, 1, 3 }, dtype: dtype);
        using var y = model.forward(x);
        Assert.Equal(new long[] { 2, 1, 4 }, y.shape);
        Assert.Equal(dtype, y.dtype);
        using var final = model.FinalState(x);
        Assert.True(TestModels.Identical(final.h, y.select(1, 0)), "final state of one token");
    }

    [Fact]
    public void RepeatedForwardAndBackwardLeaveNoTensorsBehind()
    {
        using var model = new PrLstmModel(inputSize: 3, H: 8, refinements: 1);
        using var x = randn(4, 37, 3);
        void Step()
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            model.forward(x).sum().backward();
            model.FinalState(x).h.sum().backward();
            model.ForwardSequential(x).sum().backward();
        }
        for (int i = 0; i < 3; i++) Step(); // Warm-up: gradients are allocated on the first backward.
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void WeightsRoundTripThroughSafetensors()
    {
        string folder = Directory.CreateTempSubdirectory("prlstm-weights").FullName;
        string path = Path.Combine(folder, "model.safetensors");
        using var trained = TestModels.Create(TestModels.Kind.PrLstm, 2, ScalarType.Float32);
        using var fresh = new PrLstmModel(inputSize: TestModels.InputSize, H: TestModels.Hidden, refinements: 2);
        using var x = randn(2, 9, TestModels.InputSize);
        ((PrLstmModel)trained).SaveWeights(path);
        fresh.LoadWeights(path);
        Assert.True(TestModels.Identical(fresh.forward(x), trained.forward(x)));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void LoadingWeightsOfAnotherShapeNamesEveryDifferenceAndChangesNothing()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("prlstm-weights").FullName, "model.safetensors");
        using (var other = new PrLstmModel(inputSize: 3, H: 5, refinements: 2)) other.SaveWeights(path);
        using var model = new PrLstmModel(inputSize: 3, H: 4, refinements: 1);
        using var before = model.get_parameter("block.gates.weight")!.clone();
        var error = Assert.Throws<InvalidDataException>(() => model.LoadWeights(path));
        Assert.Contains("unexpected 'refinements.1.gates.weight'", error.Message);
        Assert.Contains("'block.gates.weight' has shape [25, 10] in the file but [20, 8] in the model", error.Message);
        Assert.True(TestModels.Identical(model.get_parameter("block.gates.weight")!, before));
    }

    [Fact]
    public void CorruptOrMissingWeightsFilesGiveClearErrors()
    {
        string folder = Directory.CreateTempSubdirectory("prlstm-weights").FullName;
        using var model = new PrLstmModel(inputSize: 3, H: 4);
        Assert.Throws<FileNotFoundException>(() => model.LoadWeights(Path.Combine(folder, "missing.safetensors")));
        string garbage = Path.Combine(folder, "garbage.safetensors");
        File.WriteAllBytes(garbage, new byte[] { 200, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3 });
        Assert.Contains("not a valid safetensors file", Assert.Throws<InvalidDataException>(() => model.LoadWeights(garbage)).Message);
        string truncated = Path.Combine(folder, "truncated.safetensors");
        model.SaveWeights(truncated);
        var bytes = File.ReadAllBytes(truncated);
        File.WriteAllBytes(truncated, bytes[..^16]);
        long data = bytes.Length - 8 - BitConverter.ToInt64(bytes, 0);
        Assert.Contains($"its tensors need {data} bytes of data but the file has {data - 16} after the header",
            Assert.Throws<InvalidDataException>(() => model.LoadWeights(truncated)).Message);
    }

    [Fact]
    public void SafetensorsHeaderFollowsTheFormat()
    {
        // Independent read of the layout: u64 little-endian header length, JSON, data; offsets relative to the data.
        string path = Path.Combine(Directory.CreateTempSubdirectory("prlstm-weights").FullName, "model.safetensors");
        using var model = new PrRnnModel(inputSize: 2, H: 3, refinements: 0);
        model.SaveWeights(path);
        byte[] file = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(file, 0);
        Assert.Equal(0, headerLength % 8);
        using var header = System.Text.Json.JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        var weight = header.RootElement.GetProperty("encoder.gates.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal(new[] { 3, 2 }, weight.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var offsets = weight.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(24, offsets[1] - offsets[0]);
        float first = BitConverter.ToSingle(file, 8 + (int)headerLength + offsets[0]);
        Assert.Equal(model.get_parameter("encoder.gates.weight")![0, 0].ToSingle(), first);
    }
}
