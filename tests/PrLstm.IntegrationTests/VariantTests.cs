using PrLstm.FormalLanguages.Cli;
using PrLstm.FormalLanguages.Models;
using PrLstm.Experiments.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>The composition-block variants: numerics against the naive reference, and a smoke test that each learns.</summary>
public class VariantTests
{
    private static nn.Module<Tensor, Tensor> Create(NaiveReference.Cell cell, ScalarType dtype) => cell switch
    {
        NaiveReference.Cell.Coupled => new PrCoupledModel(TestModels.InputSize, TestModels.Hidden, 1, dtype: dtype),
        NaiveReference.Cell.Peephole => new PrPeepholeModel(TestModels.InputSize, TestModels.Hidden, 1, dtype: dtype),
        NaiveReference.Cell.LayerNorm => new PrLayerNormModel(TestModels.InputSize, TestModels.Hidden, 1, dtype: dtype),
        _ => new PrMinimalModel(TestModels.InputSize, TestModels.Hidden, dtype: dtype),
    };

    [Theory]
    [InlineData(NaiveReference.Cell.Coupled)]
    [InlineData(NaiveReference.Cell.Peephole)]
    [InlineData(NaiveReference.Cell.Minimal)]
    [InlineData(NaiveReference.Cell.LayerNorm)]
    public void VariantMatchesItsNaiveReference(NaiveReference.Cell cell)
    {
        manual_seed(31);
        using var model = Create(cell, ScalarType.Float64);
        using (no_grad())
            foreach (var (name, parameter) in model.named_parameters())
                if (name.EndsWith(".bias") || name.Contains(".norm")) parameter.copy_(randn_like(parameter) * 0.5
                    + (name.EndsWith("weight") ? 1 : 0));
        var naive = new NaiveReference(model, cell, cell == NaiveReference.Cell.Minimal ? 0 : 1, TestModels.Hidden);
        foreach (long length in Enumerable.Range(1, 40).Select(t => (long)t).Append(127))
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 2, length, TestModels.InputSize }, dtype: ScalarType.Float64);
            var expected = naive.Forward(x);
            TestModels.AssertClose(model.forward(x), expected, 1e-10, 1e-10, $"{cell}, T = {length}");
            using (no_grad()) // the in-place path
                TestModels.AssertClose(model.forward(x), expected, 1e-10, 1e-10, $"{cell} without gradient, T = {length}");
        }
    }

    [Theory]
    [InlineData("pr-lstm", null)]
    [InlineData("pr-lstm", 2)] // the refinement stack, K = 2 (2R)
    [InlineData("pr-gru", null)]
    [InlineData("pr-coupled", null)]
    [InlineData("pr-peephole", null)]
    [InlineData("pr-minimal", null)]
    [InlineData("pr-layernorm", null)]
    public void VariantLearnsParityOnATinyBudget(string model, int? refinements)
    {
        // Lengths 1..8, 600 steps: each variant must fit the training distribution (mean training accuracy
        // over the last 100 steps), a smoke test that its gradients flow and it can learn, not a benchmark.
        var config = new RunConfig
        {
            Task = "parity_check",
            Model = model,
            Hidden = 16,
            Layers = refinements ?? ModelCatalog.Get(model).DefaultLayers,
            BatchSize = 32,
            MaxTrainLength = 8,
            LearningRate = 1e-2,
            LogEvery = 100,
            Seed = 1,
            Steps = 600,
        };
        using var taskModel = ModelCatalog.Build(config, CPU);
        var outcome = new Trainer(config, taskModel).Run(folder: null);
        Assert.True(outcome.History[^1].Accuracy > 0.95, $"{model}: training accuracy {outcome.History[^1].Accuracy:F3} after 600 steps");
    }
}
