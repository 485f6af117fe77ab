using System.Reflection;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// Runs one module twice on the same weights and inputs, once with its fused kernels and once op by op, and compares
/// the outputs and the gradients of every input and parameter (generated layers and models both have a KernelPath).
/// </summary>
public static class FusedComparison
{
    public static (double Rtol, double Atol) Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? (1e-10, 1e-10) : (1e-5, 1e-5);

    public static void SetKernelPath(object module, KernelPath path)
    {
        PropertyInfo property = module.GetType().GetProperty("KernelPath")
            ?? throw new ArgumentException($"{module.GetType().Name} has no KernelPath");
        property.SetValue(module, path);
    }

    /// <summary>
    /// Compares <paramref name="run"/> (the outputs from the inputs) under both paths: with a gradient (outputs, then the
    /// gradients of a random weighting of them with respect to <paramref name="inputs"/> and every parameter, and the
    /// gradients of a random weighting of those gradients: second order, through create_graph), and
    /// without one (the fused kernels' direct path against the in-place op-by-op bodies).
    /// </summary>
    /// <param name="generator">Where the outputs' random weights come from (by default the global generator).</param>
    public static void AssertFusedMatchesOpByOp(nn.Module module, IReadOnlyList<Tensor> inputs, Func<IReadOnlyList<Tensor>> run,
        ScalarType dtype, string what, Generator? generator = null)
    {
        var (rtol, atol) = Tolerance(dtype);
        var parameters = module.parameters().ToList();
        var differentiable = inputs.Concat(parameters).ToList();

        // The gradients of a random weighting of the outputs, and of a random weighting of those gradients (create_graph:
        // a gradient of a gradient, through the fused backward's recorded form).
        (List<Tensor> Outputs, List<Tensor> Gradients, List<Tensor> SecondOrder) WithGradient(KernelPath path, List<Tensor>? weights)
        {
            SetKernelPath(module, path);
            var outputs = run().ToList();
            weights ??= outputs.Select(o => randn(o.shape, dtype: o.dtype, generator: generator))
                .Concat(differentiable.Select(d => randn(d.shape, dtype: d.dtype, generator: generator))).ToList();
            var loss = outputs.Zip(weights, (o, w) => (o * w).sum()).Aggregate((a, b) => a + b);
            var firstOrder = autograd.grad(new[] { loss }, differentiable, retain_graph: true, create_graph: true, allow_unused: true);
            var gradients = firstOrder.Select((g, i) => g is null || g.IsInvalid ? zeros_like(differentiable[i]) : g).ToList();
            var recorded = gradients.Select((g, i) => (g, w: weights[outputs.Count + i])).Where(p => p.g.requires_grad).ToList();
            var secondOrder = recorded.Count == 0
                ? differentiable.Select(d => zeros_like(d)).ToList()
                : autograd.grad(new[] { recorded.Select(p => (p.g * p.w).sum()).Aggregate((a, b) => a + b) }, differentiable,
                    allow_unused: true).Select((g, i) => g is null || g.IsInvalid ? zeros_like(differentiable[i]) : g).ToList();
            return (outputs.Select(o => o.detach()).Concat(weights).ToList(), gradients.Select(g => g.detach()).ToList(), secondOrder);
        }

        using (var scope = NewDisposeScope())
        {
            var (fusedOutputs, fusedGradients, fusedSecond) = WithGradient(KernelPath.Fused, null);
            int count = (fusedOutputs.Count - differentiable.Count) / 2;
            var weights = fusedOutputs.Skip(count).ToList();
            var (opOutputs, opGradients, opSecond) = WithGradient(KernelPath.OpByOp, weights);
            for (int o = 0; o < count; o++)
                TestModels.AssertCloseToScale(fusedOutputs[o], opOutputs[o], rtol, atol, $"{what}: output {o}");
            for (int g = 0; g < differentiable.Count; g++)
            {
                string name = g < inputs.Count ? $"input {g}" : "parameter " + module.named_parameters().ElementAt(g - inputs.Count).name;
                TestModels.AssertCloseToScale(fusedGradients[g], opGradients[g], rtol, atol, $"{what}: gradient of {name}");
                TestModels.AssertCloseToScale(fusedSecond[g], opSecond[g], rtol, atol, $"{what}: second-order gradient of {name}");
            }
        }
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            SetKernelPath(module, KernelPath.Fused);
            var fused = run().ToList();
            SetKernelPath(module, KernelPath.OpByOp);
            var opByOp = run().ToList();
            for (int o = 0; o < fused.Count; o++)
                TestModels.AssertCloseToScale(fused[o], opByOp[o], rtol, atol, $"{what}: output {o} without a gradient");
        }
        SetKernelPath(module, KernelPath.Automatic);
    }

    /// <summary>Calls a constructor with arguments chosen by parameter name (sizes, device, dtype, refinements).</summary>
    public static object Create(Type type, IReadOnlyDictionary<string, object?> byName)
    {
        ConstructorInfo constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters().Select(p => byName.TryGetValue(p.Name!, out var value) ? value
            : p.HasDefaultValue ? p.DefaultValue : throw new ArgumentException($"{type.Name}: no value for parameter {p.Name}")).ToArray();
        return constructor.Invoke(arguments);
    }
}
