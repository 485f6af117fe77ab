using System.Reflection;
using PrLstm.Benchmarks;
using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// The fused kernels (one generated forward and one derived backward per elementwise region) against the op-by-op
/// bodies for every shipped model and the CustomBlock example, float64 gradcheck against finite differences, the
/// derivative rules against libtorch's at ties and zeros, and what a backward allocates.
/// </summary>
public class FusedKernelTests
{
    public static readonly Type[] ShippedModels =
    {
        typeof(PrLstmModel), typeof(PrRnnModel), typeof(PrGruModel), typeof(PrCoupledModel), typeof(PrPeepholeModel),
        typeof(PrLayerNormModel), typeof(PrMinimalModel), typeof(CustomBlock.HighwayMaxModel),
    };

    public static IEnumerable<object[]> ModelsAndTypes() =>
        ShippedModels.SelectMany(m => new[] { ScalarType.Float64, ScalarType.Float32 }.Select(d => new object[] { m.Name, d }));

    /// <summary>
    /// A shipped model whose weights come from <paramref name="generator"/>: matrices with std 1/√fan_in, vectors
    /// (biases, LayerNorm scales and offsets) with std 0.5. The global generator is left to the tests running in parallel.
    /// </summary>
    internal static nn.Module<Tensor, Tensor> CreateModel(string name, ScalarType dtype, Generator generator, long hidden = 5)
    {
        Type type = ShippedModels.Single(m => m.Name == name);
        var model = (nn.Module<Tensor, Tensor>)FusedComparison.Create(type, new Dictionary<string, object?>
        {
            ["inputSize"] = 3L,
            ["H"] = hidden,
            ["refinements"] = 1,
            ["device"] = null,
            ["dtype"] = (ScalarType?)dtype,
        });
        using (no_grad())
            foreach (var parameter in model.parameters())
                parameter.copy_(randn(parameter.shape, dtype: dtype, generator: generator)
                    * (parameter.dim() == 2 ? 1 / Math.Sqrt(parameter.shape[1]) : 0.5));
        return model;
    }

    [Theory]
    [MemberData(nameof(ModelsAndTypes))]
    public void EveryShippedModelFusedMatchesOpByOp(string name, ScalarType dtype)
    {
        using var generator = new Generator((ulong)Array.IndexOf(ShippedModels, ShippedModels.Single(m => m.Name == name)));
        using var model = CreateModel(name, dtype, generator);
        foreach (long length in new long[] { 1, 2, 7, 16, 33 })
        {
            using var scope = NewDisposeScope();
            var x = randn(new[] { 3, length, 3L }, dtype: dtype, generator: generator).requires_grad_();
            FusedComparison.AssertFusedMatchesOpByOp(model, new[] { x }, () => new[] { model.forward(x) }, dtype, $"{name} T = {length}",
                generator);
            MethodInfo sequential = model.GetType().GetMethod("ForwardSequential")!;
            Tensor[] Sequential() => new[] { (Tensor)sequential.Invoke(model, new object[] { x })! };
            FusedComparison.AssertFusedMatchesOpByOp(model, new[] { x }, Sequential, dtype, $"{name} sequential T = {length}", generator);
        }
    }

    /// <summary>A width that runs every vector path (512, 256 and 128 bits) and the scalar tail: 67 = 4 · 16 + 2 + 1.</summary>
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void WideLayersFusedMatchOpByOp(ScalarType dtype)
    {
        using var generator = new Generator(67);
        using var model = CreateModel(nameof(PrLstmModel), dtype, generator, hidden: 67);
        using var scope = NewDisposeScope();
        var x = randn(new[] { 4, 21, 3L }, dtype: dtype, generator: generator).requires_grad_();
        FusedComparison.AssertFusedMatchesOpByOp(model, new[] { x }, () => new[] { model.forward(x) }, dtype, "PR-LSTM H = 67", generator);
    }

    /// <summary>
    /// One call large enough to run its blocks on several threads (771 rows of 40 values: 33 blocks in float64), blocks
    /// crossing from one sequence to the next, against the op-by-op body: left and right the even and odd positions of one
    /// tensor (rows strided), or its first and next 257 positions of 519 (rows that follow one another within a sequence,
    /// copied as runs, with a gap from one sequence to the next).
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float32, true)]
    [InlineData(ScalarType.Float64, true)]
    [InlineData(ScalarType.Float32, false)]
    [InlineData(ScalarType.Float64, false)]
    public void ALargeCallOverStridedOrRunningRowsMatchesOpByOp(ScalarType dtype, bool strided)
    {
        using var generator = new Generator(771);
        using var layer = new LstmMerge.Layer(40, dtype: dtype);
        using var scope = NewDisposeScope();
        Tensor Level() => randn(new[] { 3, 2 * 257 + 5, 40L }, dtype: dtype, generator: generator).requires_grad_();
        var (h, c) = (Level(), Level());
        LstmState.Tensors Side(long first) => strided
            ? new(h.slice(1, first, 2 * 257, 2), c.slice(1, first, 2 * 257, 2))
            : new(h.slice(1, 257 * first, 257 * (first + 1), 1), c.slice(1, 257 * first, 257 * (first + 1), 1));
        FusedComparison.AssertFusedMatchesOpByOp(layer, new[] { h, c }, () =>
        {
            var merged = layer.forward(Side(0), Side(1));
            return new[] { merged.h, merged.c };
        }, dtype, $"LstmMerge over 3 x 257 {(strided ? "strided" : "running")} pairs", generator);
    }

    /// <summary>Central differences in float64 against the fused backward, for every input value and a sample of parameters.</summary>
    [Theory]
    [InlineData(nameof(PrLstmModel))]
    [InlineData(nameof(PrGruModel))]
    [InlineData(nameof(PrLayerNormModel))]
    [InlineData(nameof(CustomBlock.HighwayMaxModel))]
    public void FusedGradientsPassGradcheck(string name)
    {
        using var generator = new Generator(3);
        using var model = CreateModel(name, ScalarType.Float64, generator, hidden: 3);
        FusedComparison.SetKernelPath(model, KernelPath.Fused);
        using var scope = NewDisposeScope();
        var x = randn(new[] { 2, 5, 3L }, dtype: ScalarType.Float64, generator: generator).requires_grad_();
        var weights = randn(new[] { 2, 5, ((IPrefixModel)model).OutputSize }, dtype: ScalarType.Float64, generator: generator);
        Tensor Loss() => (model.forward(x) * weights).sum();
        var parameters = model.parameters().ToList();
        var analytic = autograd.grad(new[] { Loss() }, new[] { x }.Concat(parameters).ToList(), allow_unused: true);

        const double Eps = 1e-6;
        var random = new Random(7);
        var targets = new List<(Tensor Value, Tensor Gradient, long Index)>();
        for (long i = 0; i < x.numel(); i++) targets.Add((x, analytic[0], i));
        for (int p = 0; p < parameters.Count; p++)
            for (int k = 0; k < 4; k++)
                targets.Add((parameters[p], analytic[p + 1], random.NextInt64(parameters[p].numel())));
        foreach (var (value, gradient, index) in targets)
        {
            double numeric;
            using (no_grad())
            {
                var flat = value.view(-1);
                double original = flat[index].ToDouble();
                flat[index] = original + Eps;
                double plus = Loss().ToDouble();
                flat[index] = original - Eps;
                double minus = Loss().ToDouble();
                flat[index] = original;
                numeric = (plus - minus) / (2 * Eps);
            }
            double exact = gradient is null || gradient.IsInvalid ? 0 : gradient.view(-1)[index].ToDouble();
            Assert.True(Math.Abs(numeric - exact) <= 1e-6 + 1e-5 * Math.Abs(exact),
                $"{name}: d loss / d value {index} of a [{string.Join(", ", value.shape)}] tensor: finite differences {numeric:G10}, "
                    + $"fused backward {exact:G10}");
        }
    }

    public static IEnumerable<object[]> Rules() => new[]
    {
        new object[] { "Max" }, new object[] { "Min" }, new object[] { "Relu" }, new object[] { "Sigmoid" }, new object[] { "Tanh" },
        new object[] { "Multiply" }, new object[] { "Divide" },
    };

    /// <summary>Each derivative rule against libtorch's own backward, on values with ties (x = y) and zeros.</summary>
    [Theory]
    [MemberData(nameof(Rules))]
    public void DerivativeRulesAreLibtorchsAtTiesAndZeros(string op)
    {
        double[] xs = { 1, 2, 3, 0, -1, 0.5, -2, 0, 4, -0.25, 7, 1e-3, -1e-3, 0.75, -3, 2 };
        double[] ys = { 1, 0, 3, 0, 2, 0.5, -2, 1, -4, 0.5, 7, 1e-3, 2, -0.75, -3, 1.5 };
        double[] adjoint = Enumerable.Range(0, xs.Length).Select(i => 0.3 * i - 2).ToArray();
        using var scope = NewDisposeScope();
        var x = tensor(xs).requires_grad_();
        var y = tensor(ys).requires_grad_();
        Tensor result = op switch
        {
            "Max" => maximum(x, y),
            "Min" => minimum(x, y),
            "Relu" => nn.functional.relu(x),
            "Sigmoid" => sigmoid(x),
            "Tanh" => tanh(x),
            "Multiply" => x * y,
            "Divide" => x / (y + 5),
            _ => throw new ArgumentException(op),
        };
        var expected = autograd.grad(new[] { result }, new[] { x, y }, new[] { tensor(adjoint) }, allow_unused: true);
        double[] Expected(int i) => expected[i] is null || expected[i].IsInvalid
            ? new double[xs.Length]
            : expected[i].data<double>().ToArray();

        var r = result.detach().data<double>().ToArray();
        var dx = new double[xs.Length];
        var dy = new double[xs.Length];
        var shiftedY = ys.Select(v => v + 5).ToArray();
        switch (op)
        {
            case "Max":
                FusedMath.MaxGradient<double>(adjoint, xs, ys, dx, accumulate: false);
                FusedMath.MaxGradient<double>(adjoint, ys, xs, dy, accumulate: false);
                break;
            case "Min":
                FusedMath.MinGradient<double>(adjoint, xs, ys, dx, accumulate: false);
                FusedMath.MinGradient<double>(adjoint, ys, xs, dy, accumulate: false);
                break;
            case "Relu":
                FusedMath.ReluGradient<double>(adjoint, r, dx, accumulate: false);
                break;
            case "Sigmoid":
                FusedMath.SigmoidGradient<double>(adjoint, r, dx, accumulate: false);
                break;
            case "Tanh":
                FusedMath.TanhGradient<double>(adjoint, r, dx, accumulate: false);
                break;
            case "Multiply":
                FusedMath.ProductGradient<double>(adjoint, ys, dx, accumulate: false);
                FusedMath.ProductGradient<double>(adjoint, xs, dy, accumulate: false);
                break;
            case "Divide":
                FusedMath.DividendGradient<double>(adjoint, shiftedY, dx, accumulate: false);
                FusedMath.DivisorGradient<double>(adjoint, xs, shiftedY, dy, accumulate: false);
                break;
        }
        for (int i = 0; i < xs.Length; i++)
        {
            string at = $"{op} at x = {xs[i]}, y = {ys[i]}";
            Assert.True(Math.Abs(dx[i] - Expected(0)[i]) <= 1e-14, $"{at}: d/dx {dx[i]} vs libtorch {Expected(0)[i]}");
            Assert.True(Math.Abs(dy[i] - Expected(1)[i]) <= 1e-14, $"{at}: d/dy {dy[i]} vs libtorch {Expected(1)[i]}");
        }

        // Accumulating adds to what is there.
        var accumulated = Enumerable.Repeat(1.0, xs.Length).ToArray();
        FusedMath.ProductGradient<double>(adjoint, ys, accumulated, accumulate: true);
        for (int i = 0; i < xs.Length; i++) Assert.Equal(1 + adjoint[i] * ys[i], accumulated[i], 14);
    }

    /// <summary>
    /// The backward kernel of the PR-LSTM block makes one tensor per argument (its gradient) and nothing else, and its
    /// managed allocations do not grow with the size of the call (the scratch is reused).
    /// </summary>
    [Fact]
    public void FusedBackwardAllocatesOnlyItsGradients()
    {
        using var layer = new LstmMerge.Layer(8);
        var kernel = (FusedKernel)typeof(LstmMerge.Layer).GetField("bodyKernel", BindingFlags.NonPublic | BindingFlags.Instance)!
            .GetValue(layer)!;
        long Allocated(long pairs, out int tensors)
        {
            using var scope = NewDisposeScope();
            var arguments = new[] { randn(2, pairs, 40), randn(2, pairs, 8), randn(2, 2 * pairs, 8).slice(1, 0, 2 * pairs, 2) };
            var outputGradients = new[] { randn(2, pairs, 8), randn(2, pairs, 8) };
            kernel.RunBackward(arguments, outputGradients); // warm: the scratch grows once
            long before = GC.GetAllocatedBytesForCurrentThread();
            long created = DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount;
            var gradients = kernel.RunBackward(arguments, outputGradients);
            tensors = (int)(DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount - created);
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            for (int a = 0; a < arguments.Length; a++)
                Assert.Equal(new[] { 2, pairs, arguments[a].shape[2] }, gradients[a].shape);
            return bytes;
        }

        long small = Allocated(3, out int smallTensors);
        long large = Allocated(3000, out int largeTensors);
        Assert.Equal(3, smallTensors);
        Assert.Equal(3, largeTensors);
        Assert.True(small < 16_384 && large < 16_384, $"managed bytes per backward call: {small} (3 pairs), {large} (3,000 pairs)");
    }

    /// <summary>
    /// A retained graph can be back-propagated twice through the fused regions (they keep their saved inputs until the
    /// graph is freed: an exception in a custom backward cannot cross back into libtorch, so releasing them early and
    /// failing the second backward would end the process).
    /// </summary>
    [Fact]
    public void FusedRegionsSupportARetainedGraph()
    {
        using var model = new PrLstmModel(3, 4) { KernelPath = KernelPath.Fused };
        using var scope = NewDisposeScope();
        var x = randn(2, 5, 3).requires_grad_();
        var loss = model.forward(x).sum();
        loss.backward(retain_graph: true);
        var once = x.grad!.clone();
        loss.backward();
        TestModels.AssertCloseToScale(x.grad!, once * 2, 1e-6, 1e-6, "the gradient after two backward passes");
    }

    /// <summary>
    /// A backward through many fused regions, inside a dispose scope as a training step runs, ends with at most one
    /// region's gradient handles alive: libtorch holds the gradients it needs, and a handle left in the scope kept its
    /// gradient's memory until the scope ended (every fused gradient of the step at once: 4.4 against 3.2 MB per
    /// position at H = 256, B = 64, T = 256, measured).
    /// </summary>
    [Fact]
    public void AFusedBackwardKeepsNoGradientHandlesOfEarlierRegions()
    {
        using var model = new PrLstmModel(3, 4) { KernelPath = KernelPath.Fused };
        using var scope = NewDisposeScope();
        var x = randn(2, 32, 3);
        var loss = model.forward(x).sum();
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        loss.backward();
        long kept = DisposeScopeManager.Statistics.ThreadTotalLiveCount - live;
        // The largest region takes 3 arguments (LstmMerge's projection and two c's); its call has a leading null.
        Assert.True(kept <= 3, $"{kept} tensor handles alive after the backward, against at most one region's 3");
    }

    /// <summary>
    /// A fused call through autograd leaves no tensor handle alive once its outputs are gone, whatever the values. The
    /// handles are told apart by reference: TorchSharp's Tensor.Equals compares values (a full torch.equal per pair, and
    /// false where a value is NaN), which once leaked the forward's handles of a NaN output.
    /// </summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void AFusedCallLeavesNoHandleAliveWhateverItsValues(double value)
    {
        using var layer = new LstmMerge.Layer(4) { KernelPath = KernelPath.Fused };
        LstmState.Tensors State() => new(full(2, 3, 4, value).requires_grad_(), full(2, 3, 4, value));
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var scope = NewDisposeScope())
        {
            var merged = layer.forward(State(), State());
            Assert.Equal(double.IsNaN(value), merged.h.isnan().all().item<bool>());
        }
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    /// <summary>
    /// The bench's floor (KernelFloor.Measuring) makes the fused kernels compute nothing only while it runs: inside it a
    /// fused call's outputs and its arguments' gradients are zeros; after it, also when the call inside threw, the same
    /// call gives the op-by-op values again.
    /// </summary>
    [Fact]
    public void KernelFloorSkipsTheKernelsOnlyWhileItMeasures()
    {
        using var layer = new LstmMerge.Layer(4) { KernelPath = KernelPath.Fused };
        using var scope = NewDisposeScope();
        LstmState.Tensors State() => new(randn(2, 3, 4).requires_grad_(), randn(2, 3, 4).requires_grad_());
        var (left, right) = (State(), State());
        double largestOutput = -1, largestGradient = -1;
        KernelFloor.Measuring(() =>
        {
            var merged = layer.forward(left, right);
            (merged.h.sum() + merged.c.sum()).backward();
            largestOutput = Math.Max(merged.h.abs().max().ToDouble(), merged.c.abs().max().ToDouble());
            largestGradient = Math.Max(left.c.grad!.abs().max().ToDouble(), right.c.grad!.abs().max().ToDouble());
        });
        Assert.Equal(0.0, largestOutput);
        Assert.Equal(0.0, largestGradient);
        Assert.Throws<InvalidOperationException>(() => KernelFloor.Measuring(() => throw new InvalidOperationException("inside")));

        var fused = layer.forward(left, right);
        layer.KernelPath = KernelPath.OpByOp;
        var opByOp = layer.forward(left, right);
        TestModels.AssertClose(fused.h, opByOp.h, 1e-6, 1e-6, "h after the floor");
        TestModels.AssertClose(fused.c, opByOp.c, 1e-6, 1e-6, "c after the floor");
        Assert.True(fused.c.abs().max().ToDouble() > 0.01);
    }

    [Fact]
    public void ForcingFusedKernelsOnATypeTheyDoNotRunSaysSo()
    {
        using var layer = new LstmMerge.Layer(4, dtype: ScalarType.Float16) { KernelPath = KernelPath.Fused };
        using var scope = NewDisposeScope();
        LstmState.Tensors State() => new(randn(new[] { 2, 3, 4L }, dtype: ScalarType.Float16), randn(new[] { 2, 3, 4L },
            dtype: ScalarType.Float16));
        var error = Assert.Throws<NotSupportedException>(() => layer.forward(State(), State()));
        Assert.Contains("float32 or float64", error.Message);
        Assert.Contains("KernelPath.OpByOp", error.Message);
    }
}
