using System.Reflection;
using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime;
using PrLstm.Runtime.Modules;
using PrLstm.Runtime.Schedule;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// <see cref="ScanOptions.RecomputeInBackward"/> (gradient checkpointing of every combine and encoder call) against the
/// default recorded graph: the same outputs and gradients for every shipped model, both kernel paths, every tree
/// schedule and calls split into parts; through backward() and autograd.grad, a retained graph, a second-order
/// gradient; no handle left behind; no change without a gradient.
/// </summary>
public class RecomputeTests
{
    private static readonly ScanOptions Recompute = new() { RecomputeInBackward = true };

    public static IEnumerable<object[]> ModelsTypesAndPaths() =>
        from model in FusedKernelTests.ShippedModels
        from dtype in new[] { ScalarType.Float64, ScalarType.Float32 }
        from path in new[] { KernelPath.Automatic, KernelPath.Fused }
        select new object[] { model.Name, dtype, path };

    private static void SetOptions(object model, ScanOptions options) => ((ITreeScanModel)model).ScanOptions = options;

    /// <summary>The fields of the state a schedule method (FinalState, ScanStates) returns.</summary>
    private static IReadOnlyList<Tensor> Fields(object state) =>
        (IReadOnlyList<Tensor>)state.GetType().GetProperty("Fields")!.GetValue(state)!;

    [Theory]
    [MemberData(nameof(ModelsTypesAndPaths))]
    public void EveryShippedModelRecomputedMatchesTheRecordedGraph(string name, ScalarType dtype, KernelPath path)
    {
        using var generator = new Generator(11);
        using var model = FusedKernelTests.CreateModel(name, dtype, generator);
        FusedComparison.SetKernelPath(model, path);
        var prefix = (IPrefixModel)model;
        MethodInfo finalState = model.GetType().GetMethod("FinalState")!;
        var (rtol, atol) = FusedComparison.Tolerance(dtype);
        foreach (long length in new long[] { 1, 2, 7, 33 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, 3L }, dtype: dtype, generator: generator).requires_grad_();
            var positions = Enumerable.Range(0, (int)length).Where(t => t % 3 == 1 || t == length - 1).Select(t => (long)t).ToArray();
            var runs = new (string What, Func<Tensor[]> Run)[]
            {
                ("forward", () => new[] { model.forward(x) }),
                ("ForwardAt", () => new[] { prefix.ForwardAt(x, positions) }),
                ("FinalState", () => Fields(finalState.Invoke(model, new object[] { x })!).ToArray()),
            };
            // 1 KiB of state per call splits every level (and the encoder) into parts of a few positions.
            foreach (long budget in new[] { 4L << 20, 1L << 10 })
                foreach (var (what, run) in runs)
                    AssertRecomputedMatches(model, x, run, rtol, atol, budget, $"{name} {path} T = {length} budget {budget}: {what}",
                        generator);
        }
    }

    /// <summary>Outputs and the gradients of x and every parameter, recorded graph against recomputed calls.</summary>
    private static void AssertRecomputedMatches(nn.Module model, Tensor x, Func<Tensor[]> run, double rtol, double atol, long budget,
        string what, Generator generator)
    {
        var differentiable = new[] { x }.Concat(model.parameters()).ToList();
        List<Tensor>? weights = null;
        (Tensor[] Outputs, List<Tensor> Gradients) Run(ScanOptions options)
        {
            SetOptions(model, options with { CpuBudgetBytes = budget });
            var outputs = run();
            weights ??= outputs.Select(o => randn(o.shape, dtype: o.dtype, generator: generator)).ToList();
            var loss = outputs.Zip(weights, (o, w) => (o * w).sum()).Aggregate((a, b) => a + b);
            var gradients = autograd.grad(new[] { loss }, differentiable, allow_unused: true)
                .Select((g, i) => g is null || g.IsInvalid ? zeros_like(differentiable[i]) : g).ToList();
            return (outputs.Select(o => o.detach()).ToArray(), gradients);
        }

        var recorded = Run(ScanOptions.Default);
        var recomputed = Run(Recompute);
        SetOptions(model, ScanOptions.Default);
        for (int o = 0; o < recorded.Outputs.Length; o++)
            TestModels.AssertCloseToScale(recomputed.Outputs[o], recorded.Outputs[o], rtol, atol, $"{what}: output {o}");
        for (int g = 0; g < differentiable.Count; g++)
        {
            string of = g == 0 ? "x" : model.named_parameters().ElementAt(g - 1).name;
            TestModels.AssertCloseToScale(recomputed.Gradients[g], recorded.Gradients[g], rtol, atol, $"{what}: gradient of {of}");
        }
    }

    /// <summary>
    /// backward() fills the parameters' gradients as autograd.grad returns them (the parameters are inputs of every
    /// recomputed node, not accumulated behind autograd's back), and a retained graph runs its backward twice.
    /// </summary>
    [Fact]
    public void BackwardAutogradGradAndARetainedGraphAgree()
    {
        using var generator = new Generator(5);
        using var model = FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float64, generator);
        SetOptions(model, Recompute with { CpuBudgetBytes = 1 << 10 });
        using var scope = NewDisposeScope();
        var x = randn(new[] { 2, 9, 3L }, dtype: ScalarType.Float64, generator: generator);
        var parameters = model.parameters().Cast<Tensor>().ToList();
        var viaGrad = autograd.grad(new[] { model.forward(x).pow(2).sum() }, parameters);

        var loss = model.forward(x).pow(2).sum();
        loss.backward(retain_graph: true);
        for (int p = 0; p < parameters.Count; p++)
            TestModels.AssertCloseToScale(parameters[p].grad!, viaGrad[p], 1e-12, 1e-12, $"backward() against autograd.grad, parameter "
                + p);
        loss.backward();
        for (int p = 0; p < parameters.Count; p++)
            TestModels.AssertCloseToScale(parameters[p].grad!, viaGrad[p] * 2, 1e-12, 1e-12, "a retained graph's second backward, "
                + $"parameter {p}");
    }

    /// <summary>A gradient of a gradient (create_graph) through recomputed calls equals the recorded graph's.</summary>
    [Fact]
    public void ASecondOrderGradientMatchesTheRecordedGraph()
    {
        using var generator = new Generator(6);
        using var model = FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float64, generator);
        using var scope = NewDisposeScope();
        var x = randn(new[] { 2, 7, 3L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var parameters = model.parameters().ToList();
        List<Tensor> SecondOrder(ScanOptions options)
        {
            SetOptions(model, options with { CpuBudgetBytes = 1 << 10 });
            var dx = autograd.grad(new[] { model.forward(x).pow(2).sum() }, new[] { x }, retain_graph: true, create_graph: true)[0];
            return autograd.grad(new[] { dx.pow(2).sum() }, new[] { x }.Concat(parameters).ToList()).ToList();
        }

        var recorded = SecondOrder(ScanOptions.Default);
        var recomputed = SecondOrder(Recompute);
        for (int g = 0; g < recorded.Count; g++)
            TestModels.AssertCloseToScale(recomputed[g], recorded[g], 1e-10, 1e-10, $"second-order gradient {g}");
    }

    /// <summary>
    /// The parameters' gradients taken with create_graph (as a gradient penalty on them, or meta-learning, does), and their
    /// gradient again, through recomputed calls equal the recorded graph's. Every call's inputs come from earlier calls of
    /// the same parameters: differentiating a recomputation with respect to a parameter must not also count the paths
    /// through those inputs, which the outer backward counts.
    /// </summary>
    [Fact]
    public void ParameterGradientsWithCreateGraphMatchTheRecordedGraph()
    {
        using var generator = new Generator(7);
        using var model = FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float64, generator);
        using var scope = NewDisposeScope();
        var x = randn(new[] { 2, 7, 3L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var parameters = model.parameters().Cast<Tensor>().ToList();
        List<Tensor> Gradients(ScanOptions options)
        {
            SetOptions(model, options with { CpuBudgetBytes = 1 << 10 });
            var first = autograd.grad(new[] { model.forward(x).pow(2).sum() }, parameters, retain_graph: true, create_graph: true);
            var penalty = first.Select(g => g.pow(2).sum()).Aggregate((a, b) => a + b);
            return first.Concat(autograd.grad(new[] { penalty }, new[] { x }.Concat(parameters).ToList())).ToList();
        }

        var recorded = Gradients(ScanOptions.Default);
        var recomputed = Gradients(Recompute);
        for (int g = 0; g < recorded.Count; g++)
            TestModels.AssertCloseToScale(recomputed[g], recorded[g], 1e-10, 1e-10,
                g < parameters.Count ? $"first-order gradient of parameter {g}" : $"second-order gradient {g - parameters.Count}");
    }

    /// <summary>
    /// A recomputed call whose second input is computed from its first (c and 3·c), or from its first and the parameter w
    /// that the body also reads (c and 3·c·w), differentiated three times (create_graph twice): each input's gradient
    /// counts only its own uses, w's only the body's own uses of w, and every order matches the recorded call's (the third
    /// differentiates the reattached gradients' own backward). Differentiated with respect to the saved tensors
    /// themselves, c got the 3·c contribution twice (max error 9.27); on views of the saved inputs, w's first-order
    /// gradient also counted the path through 3·c·w (max error 24.1 at scale 36).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ARecomputedCallOnInputsComputedFromEachOtherDifferentiatesThreeTimes(bool secondInputReadsTheParameter)
    {
        using var generator = new Generator(5);
        using var scope = NewDisposeScope();
        var c = randn(new[] { 2, 5L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var w = randn(new[] { 5L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        IReadOnlyList<Tensor> Body(Tensor[] x) => new[] { tanh(x[0] * w) * x[1] };
        List<Tensor> Gradients(bool recomputed)
        {
            var inputs = new[] { c, secondInputReadsTheParameter ? c * 3 * w : c * 3 };
            var output = recomputed ? Recomputation.Run(Body, inputs, new[] { w })[0] : Body(inputs)[0];
            var first = autograd.grad(new[] { output.pow(2).sum() }, new[] { c, w }, retain_graph: true, create_graph: true);
            var second = autograd.grad(new[] { first[0].pow(2).sum() + first[1].pow(3).sum() }, new[] { c, w }, retain_graph: true,
                create_graph: true);
            var third = autograd.grad(new[] { second[0].sin().sum() + second[1].pow(2).sum() }, new[] { c, w });
            return first.Concat(second).Concat(third).ToList();
        }

        var recorded = Gradients(recomputed: false);
        var recomputed = Gradients(recomputed: true);
        for (int g = 0; g < recorded.Count; g++)
            TestModels.AssertCloseToScale(recomputed[g], recorded[g], 1e-12, 1e-12, $"gradient {g} (c, w: order {g / 2 + 1})");
    }

    /// <summary>
    /// A parameter of a recomputed call must be a leaf: one computed from other tensors is refused with the reason (its
    /// gradient would be differentiated through its history inside the call, and again by the outer backward).
    /// </summary>
    [Fact]
    public void AComputedParameterIsRefused()
    {
        using var scope = NewDisposeScope();
        var c = randn(2, 5, dtype: ScalarType.Float64).requires_grad_();
        var w = randn(5, dtype: ScalarType.Float64).requires_grad_();
        var computed = w * 2;
        var error = Assert.Throws<ArgumentException>(
            () => Recomputation.Run(x => new[] { x[0] * computed }, new[] { c }, new[] { computed }));
        Assert.Contains("parameter 0 of a recomputed call has a history", error.Message);
        var output = Recomputation.Run(x => new[] { x[0] * w }, new[] { c }, new[] { w })[0];
        Assert.True(output.requires_grad);
    }

    /// <summary>
    /// A recomputed call of a body that makes temporaries (tanh(x·w) makes two) leaves no handle behind once its scope ends:
    /// forward alone, with a backward, and differentiated three times. Before, the forward's temporaries were left to the
    /// node, which never disposes them: 2 handles per call, the body's tensors never freed.
    /// </summary>
    [Fact]
    public void ARecomputedBodysTemporariesAreFreedWithTheCall()
    {
        using var generator = new Generator(4);
        using var c = randn(new[] { 2, 5L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        using var w = randn(new[] { 5L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        IReadOnlyList<Tensor> Body(Tensor[] x) => new[] { tanh(x[0] * w) * x[1] };
        foreach (int order in new[] { 0, 1, 3 })
        {
            long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int call = 0; call < 3; call++)
            {
                using var scope = NewDisposeScope();
                var output = Recomputation.Run(Body, new[] { c * 1, c * 3 * w }, new[] { w })[0];
                var loss = output.pow(2).sum();
                for (int k = 0; k < order; k++)
                {
                    var gradients = autograd.grad(new[] { loss }, new[] { c, w }, retain_graph: true, create_graph: k < order - 1);
                    loss = gradients[0].pow(2).sum() + gradients[1].sum();
                }
            }
            Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }
    }

    /// <summary>
    /// NativeHeap.ReleaseFreeMemory, which docs/performance.md suggests between a recomputed step's forward and its
    /// backward, runs glibc's malloc_trim on Linux (a step then still computes the same gradients) and nothing elsewhere.
    /// </summary>
    [Fact]
    public void ReleasingFreeHeapMemoryBetweenForwardAndBackwardChangesNoGradient()
    {
        using var generator = new Generator(9);
        using var model = FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float64, generator);
        SetOptions(model, Recompute with { CpuBudgetBytes = 1 << 10 });
        using var scope = NewDisposeScope();
        var x = randn(new[] { 3, 20, 3L }, dtype: ScalarType.Float64, generator: generator);
        var parameters = model.parameters().Cast<Tensor>().ToList();
        var plain = autograd.grad(new[] { model.forward(x).pow(2).sum() }, parameters);
        var loss = model.forward(x).pow(2).sum();
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.ReleaseFreeMemory());
        var released = autograd.grad(new[] { loss }, parameters);
        for (int p = 0; p < parameters.Count; p++)
            Assert.True(TestModels.Identical(released[p], plain[p]), $"parameter {p}: the gradient changed");
    }

    /// <summary>A recomputed training step leaves no tensor handle behind, and without a gradient the option changes nothing.</summary>
    [Fact]
    public void ARecomputedStepLeavesNoHandlesAndInferenceIsUnchanged()
    {
        using var generator = new Generator(8);
        using var model = FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float32, generator);
        using var x = randn(new[] { 3, 40, 3L }, generator: generator);
        SetOptions(model, Recompute with { CpuBudgetBytes = 1 << 10 });
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var scope = NewDisposeScope())
        {
            var loss = model.forward(x).sum();
            // Each recorded node holds a few handles of its own until the graph is freed; the backward adds at most the
            // gradients of one node (a combine's: 4 state fields and 4 parameters), not those of every node.
            long afterForward = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            loss.backward();
            long grown = DisposeScopeManager.Statistics.ThreadTotalLiveCount - afterForward;
            Assert.True(grown <= 8, $"{grown} more handles alive after the backward than before it: the recomputed calls' gradients "
                + "were kept");
        }
        foreach (var parameter in model.parameters()) parameter.grad?.Dispose();
        model.zero_grad();
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            var recomputed = model.forward(x);
            SetOptions(model, ScanOptions.Default with { CpuBudgetBytes = 1 << 10 });
            Assert.True(TestModels.Identical(recomputed, model.forward(x)), "without a gradient the option must not change the outputs");
        }
    }
}
