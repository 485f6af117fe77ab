using System.Numerics;
using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using PrLstm.Runtime.Schedule;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// Streaming inference (PrefixStream, the generated OpenStream): the output after token t equals position t of the
/// tree scan, symbolically (the bracketing itself) and numerically for every shipped model; the combine count, the
/// block count, save/restore, bad input and leaks.
/// </summary>
public class StreamTests
{
    // ---- The schedule, symbolically: bracketing, combine count, blocks --------------------------------------------

    [Fact]
    public void EveryPrefixHasTheTreeScansBracketing()
    {
        const int length = 1030;
        var scan = TreeScan.Prefix(SymbolicState.Leaves(length), new SymbolicCombine());
        var f = new SymbolicCombine();
        var stack = StreamStack<SymbolicState>.Empty;
        for (int t = 0; t < length; t++)
        {
            stack = PrefixStream.Push(stack, new SymbolicState(new[] { "x" + t }), f);
            Assert.Equal(scan.Items[t], stack.Prefix.Items.Single());
            Assert.Equal(BitOperations.PopCount((ulong)(t + 1)), stack.Blocks.Length);
            Assert.Equal(PrefixStream.BlockSizes(t + 1), stack.Blocks.Select(b => b.Size).ToArray());
            // Carries: T - popcount(T); outputs: one per token that is not a power of two.
            long tokens = t + 1, powersOfTwo = 64 - BitOperations.LeadingZeroCount((ulong)tokens);
            Assert.Equal(tokens - BitOperations.PopCount((ulong)tokens) + tokens - powersOfTwo, f.Applications);
            Assert.True(f.Applications <= 2 * tokens);
        }
    }

    [Fact]
    public void TheStackOfTheFirstEightTokensIsABinaryCounter()
    {
        // The picture in docs/dsl.md: blocks after t + 1 tokens, oldest first.
        var expected = new[]
        {
            new[] { "x0" },
            new[] { "f(x0,x1)" },
            new[] { "f(x0,x1)", "x2" },
            new[] { "f(f(x0,x1),f(x2,x3))" },
            new[] { "f(f(x0,x1),f(x2,x3))", "x4" },
            new[] { "f(f(x0,x1),f(x2,x3))", "f(x4,x5)" },
            new[] { "f(f(x0,x1),f(x2,x3))", "f(x4,x5)", "x6" },
            new[] { "f(f(f(x0,x1),f(x2,x3)),f(f(x4,x5),f(x6,x7)))" },
        };
        var stack = StreamStack<SymbolicState>.Empty;
        for (int t = 0; t < expected.Length; t++)
        {
            stack = PrefixStream.Push(stack, new SymbolicState(new[] { "x" + t }), new SymbolicCombine());
            Assert.Equal(expected[t], stack.Blocks.Select(b => b.Tree.Items.Single()).ToArray());
        }
        Assert.Equal("f(f(f(x0,x1),f(x2,x3)),f(x4,x5))", PrefixAfter(6));
        Assert.Equal("f(f(f(f(x0,x1),f(x2,x3)),f(x4,x5)),x6)", PrefixAfter(7));

        static string PrefixAfter(int tokens)
        {
            var s = StreamStack<SymbolicState>.Empty;
            for (int t = 0; t < tokens; t++) s = PrefixStream.Push(s, new SymbolicState(new[] { "x" + t }), new SymbolicCombine());
            return s.Prefix.Items.Single();
        }
    }

    [Fact]
    public void BlockSizesAreTheBinaryDigits()
    {
        Assert.Empty(PrefixStream.BlockSizes(0));
        Assert.Equal(new long[] { 4, 2 }, PrefixStream.BlockSizes(6));
        Assert.Equal(new long[] { 65536, 32768, 1024, 512, 128, 32 }, PrefixStream.BlockSizes(100_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => PrefixStream.BlockSizes(-1));
    }

    // ---- Generated models: outputs equal forward's ----------------------------------------------------------------

    public static IEnumerable<object[]> Models() =>
        from model in new[] { "pr-lstm-0", "pr-lstm-1", "pr-lstm-2", "pr-rnn-0", "pr-rnn-1", "pr-rnn-2", "pr-gru", "pr-coupled",
            "pr-peephole", "pr-layernorm", "pr-minimal" }
        from dtype in new[] { ScalarType.Float64, ScalarType.Float32 }
        select new object[] { model, dtype };

    /// <summary>A shipped model with random weights and biases, as a streaming model.</summary>
    internal static nn.Module<Tensor, Tensor> Create(string name, ScalarType dtype, long hidden = TestModels.Hidden)
    {
        manual_seed(7);
        const long e = TestModels.InputSize;
        nn.Module<Tensor, Tensor> model = name switch
        {
            "pr-lstm-0" => new PrLstmModel(e, hidden, 0, dtype: dtype),
            "pr-lstm-1" => new PrLstmModel(e, hidden, 1, dtype: dtype),
            "pr-lstm-2" => new PrLstmModel(e, hidden, 2, dtype: dtype),
            "pr-rnn-0" => new PrRnnModel(e, hidden, 0, dtype: dtype),
            "pr-rnn-1" => new PrRnnModel(e, hidden, 1, dtype: dtype),
            "pr-rnn-2" => new PrRnnModel(e, hidden, 2, dtype: dtype),
            "pr-gru" => new PrGruModel(e, hidden, dtype: dtype),
            "pr-coupled" => new PrCoupledModel(e, hidden, 1, dtype: dtype),
            "pr-peephole" => new PrPeepholeModel(e, hidden, 1, dtype: dtype),
            "pr-layernorm" => new PrLayerNormModel(e, hidden, 1, dtype: dtype),
            "pr-minimal" => new PrMinimalModel(e, hidden, dtype: dtype),
            _ => throw new ArgumentException(name),
        };
        using (no_grad())
            foreach (var (parameterName, parameter) in model.named_parameters())
                if (parameterName.EndsWith(".bias")) parameter.copy_(randn_like(parameter) * 0.5);
        return model;
    }

    private static (double Rtol, double Atol) Tolerance(ScalarType dtype) => dtype == ScalarType.Float64 ? (1e-12, 1e-12) : (1e-5, 1e-5);

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryPushEqualsForwardAtThatPosition(string name, ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        using var model = Create(name, dtype);
        const long length = 1000, batch = 2;
        using var x = randn(new[] { batch, length, TestModels.InputSize }, dtype: dtype);
        using var stream = ((IStreamingModel)model).OpenStream(batch);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = model.forward(x);
        var outputs = new Tensor[length];
        for (long t = 0; t < length; t++)
        {
            outputs[t] = stream.Push(x.select(1, t));
            Assert.Equal(t + 1, stream.Position);
        }
        TestModels.AssertClose(stack(outputs, 1), expected, rtol, atol, $"{name} {dtype}: stream vs forward, T = {length}");
        // Lengths 1..40 from a fresh stream too (the first positions, where the stack is shallow).
        stream.Reset();
        for (long t = 0; t < 40; t++)
            TestModels.AssertClose(stream.Push(x.select(1, t)), expected.select(1, t), rtol, atol, $"{name} after Reset, t = {t}");
    }

    /// <summary>A stream on the fused kernels (docs/streaming.md recommends them at small batches) against the op-by-op forward.</summary>
    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void AFusedStreamEqualsTheOpByOpForward(ScalarType dtype)
    {
        var (rtol, atol) = Tolerance(dtype);
        using var model = (PrLstmModel)Create("pr-lstm-1", dtype);
        const long length = 300, batch = 2;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new[] { batch, length, TestModels.InputSize }, dtype: dtype);
        model.KernelPath = KernelPath.OpByOp;
        var expected = model.forward(x);
        model.KernelPath = KernelPath.Fused;
        using var stream = model.OpenStream(batch);
        var outputs = Enumerable.Range(0, (int)length).Select(t => stream.Push(x.select(1, t))).ToArray();
        TestModels.AssertClose(stack(outputs, 1), expected, rtol, atol, $"fused stream vs op-by-op forward, {dtype}");
    }

    /// <summary>
    /// By default a stream of at most FusedKernel.StreamRowsOnFusedKernels rows runs on the fused kernels (bit for bit
    /// the stream of a model forced to Fused), a larger one on the op-by-op bodies (bit for bit a model forced to OpByOp);
    /// a forward outside a stream stays op-by-op.
    /// </summary>
    [Theory]
    [InlineData(1L)]
    [InlineData(8L)]
    [InlineData(9L)]
    public void ADefaultStreamRunsOnTheFusedKernelsUpToAFewRows(long batch)
    {
        using var model = (PrLstmModel)Create("pr-lstm-1", ScalarType.Float32);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new[] { batch, 40, TestModels.InputSize });
        Tensor Streamed(KernelPath path)
        {
            model.KernelPath = path;
            using var stream = model.OpenStream(batch);
            return stack(Enumerable.Range(0, 40).Select(t => stream.Push(x.select(1, t))).ToArray(), 1);
        }

        var automatic = Streamed(KernelPath.Automatic);
        bool fused = batch <= FusedKernel.StreamRowsOnFusedKernels;
        Assert.True(TestModels.Identical(automatic, Streamed(fused ? KernelPath.Fused : KernelPath.OpByOp)),
            $"a default stream of {batch} rows is not the {(fused ? "fused" : "op-by-op")} one");
        using (FusedKernel.ForStream(batch))
            Assert.Equal(fused, FusedKernel.Chooses(KernelPath.Automatic, x, "test"));
        Assert.False(FusedKernel.Chooses(KernelPath.Automatic, x, "test"));
    }

    [Fact]
    public void StateIsEveryFieldOfTheLastScanPosition()
    {
        using var model = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1, dtype: ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new[] { 3, 77, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var stream = model.OpenStream(3);
        Assert.Throws<InvalidOperationException>(() => stream.State);
        stream.Push(x);
        var scan = model.ScanStates(x);
        TestModels.AssertClose(stream.State.h, scan.h.select(1, 76), 1e-12, 1e-12, "h");
        TestModels.AssertClose(stream.State.c, scan.c.select(1, 76), 1e-12, 1e-12, "c");
        Assert.Equal(new long[] { 64, 8, 4, 1 }, stream.BlockSizes);
    }

    [Fact]
    public void PushingManyTokensEqualsSinglePushes()
    {
        using var model = Create("pr-lstm-1", ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new[] { 2, 300, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var single = ((IStreamingModel)model).OpenStream(2);
        using var chunked = ((IStreamingModel)model).OpenStream(2);
        var expected = stack(Enumerable.Range(0, 300).Select(t => single.Push(x.select(1, t))).ToArray(), 1);
        var random = new Random(3);
        var parts = new List<Tensor>();
        for (long start = 0; start < 300;)
        {
            long n = Math.Min(300 - start, random.Next(1, 40));
            var part = chunked.Push(x.narrow(1, start, n));
            Assert.Equal(new[] { 2L, n, TestModels.Hidden }, part.shape);
            parts.Add(part);
            start += n;
        }
        TestModels.AssertClose(cat(parts.ToArray(), 1), expected, 1e-12, 1e-12, "chunked pushes vs single pushes");
        Assert.Equal(300, chunked.Position);
    }

    [Fact]
    public void CombinesPerTokenAreAtMostTwo()
    {
        using var model = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1);
        var counter = new CountingCombiner(model);
        using var stream = new ModelStream<LstmState.Tensors>(model, 1, TestModels.InputSize,
            new[] { TestModels.Hidden, TestModels.Hidden }, 0, model.Encode, counter);
        using var x = randn(1, 1000, TestModels.InputSize);
        for (long t = 0; t < 1000; t++)
        {
            using var scope = NewDisposeScope();
            stream.Push(x.select(1, t));
            Assert.Equal(BitOperations.PopCount((ulong)(t + 1)), stream.BlockSizes.Count);
            Assert.True(counter.Calls <= 2 * (t + 1), $"{counter.Calls} combines after {t + 1} tokens");
        }
        Assert.Equal(1000 - BitOperations.PopCount(1000u) + 1000 - 10, counter.Calls);
    }

    private sealed class CountingCombiner(PrLstmModel model) : IScanCombine<LstmState.Tensors>
    {
        public int Calls { get; private set; }

        public LstmState.Tensors Combine(LstmState.Tensors left, LstmState.Tensors right)
        {
            Calls++;
            return model.Combine(left, right);
        }
    }

    [Fact]
    public void PeekLeavesTheStreamUnchanged()
    {
        using var model = Create("pr-lstm-1", ScalarType.Float64);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(new[] { 1, 50, TestModels.InputSize }, dtype: ScalarType.Float64);
        using var stream = ((IStreamingModel)model).OpenStream(1);
        stream.Push(x.narrow(1, 0, 23));
        var peeked = stream.Peek(x.narrow(1, 23, 5));
        Assert.Equal(23, stream.Position);
        var pushed = stream.Push(x.narrow(1, 23, 5));
        Assert.True(TestModels.Identical(peeked, pushed));
    }

    // ---- Save and restore ---------------------------------------------------------------------------------------

    /// <summary>Bit for bit, with either kernel path kept for the whole stream (docs/streaming.md recommends Fused).</summary>
    [Theory]
    [InlineData(KernelPath.Automatic)]
    [InlineData(KernelPath.Fused)]
    public void SaveAndRestoreMidStreamContinuesWithTheSameOutputs(KernelPath path)
    {
        string folder = Directory.CreateTempSubdirectory("prlstm-stream").FullName;
        try
        {
            using var model = Create("pr-lstm-2", ScalarType.Float32);
            string weights = Path.Combine(folder, "model.safetensors"), saved = Path.Combine(folder, "stream.safetensors");
            ((PrLstmModel)model).SaveWeights(weights);
            ((PrLstmModel)model).KernelPath = path;
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = randn(2, 200, TestModels.InputSize);
            using var whole = ((IStreamingModel)model).OpenStream(2);
            var expected = whole.Push(x);

            using var first = ((IStreamingModel)model).OpenStream(2);
            first.Push(x.narrow(1, 0, 77));
            first.Save(saved, new Dictionary<string, string> { ["session"] = "abc" });

            // A fresh model with the same weights, as another process would build it.
            using var other = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 2);
            other.LoadWeights(weights);
            other.KernelPath = path;
            using var resumed = other.OpenStream(2);
            Assert.Equal("abc", resumed.Restore(saved)["session"]);
            Assert.Equal(77, resumed.Position);
            var rest = resumed.Push(x.narrow(1, 77, 123));
            Assert.True(TestModels.Identical(rest, expected.narrow(1, 77, 123)), "restored stream differs from the uninterrupted one");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void RestoreRefusesAStreamOfOtherWeightsBatchDtypeOrModelAndKeepsItsState()
    {
        string folder = Directory.CreateTempSubdirectory("prlstm-stream").FullName;
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var model = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1);
            var x = randn(2, 40, TestModels.InputSize);
            string saved = Path.Combine(folder, "s.safetensors");
            using (var source = model.OpenStream(2))
            {
                source.Push(x.narrow(1, 0, 11));
                source.Save(saved);
            }

            using var target = model.OpenStream(2);
            target.Push(x.narrow(1, 0, 5));
            void Refused(IModelStream stream, string path, string expectedText)
            {
                var error = Assert.Throws<InvalidDataException>(() => stream.Restore(path));
                Assert.Contains(expectedText, error.Message);
                Assert.Contains(path, error.Message);
            }

            using (var otherWeights = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1))
            using (var s = otherWeights.OpenStream(2))
                Refused(s, saved, "other weights");
            using (var s = model.OpenStream(3))
                Refused(s, saved, "with batch '2', this stream has '3'");
            using (var doubleModel = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1, dtype: ScalarType.Float64))
            using (var s = doubleModel.OpenStream(2))
                Refused(s, saved, "with dtype 'Float32', this stream has 'Float64'");
            using (var rnn = new PrRnnModel(TestModels.InputSize, TestModels.Hidden, 1))
            using (var s = rnn.OpenStream(2))
                Refused(s, saved, "from model");

            // Edited files: position and blocks disagree, a tensor missing or misshapen, not a stream at all.
            var tensors = PrLstm.Runtime.Weights.Safetensors.Read(saved, out var metadata);
            void Edited(string name, Action<Dictionary<string, Tensor>, Dictionary<string, string>> edit, string expectedText)
            {
                var t = new Dictionary<string, Tensor>(tensors);
                var m = new Dictionary<string, string>(metadata);
                edit(t, m);
                string path = Path.Combine(folder, name + ".safetensors");
                PrLstm.Runtime.Weights.Safetensors.Write(path, t, m);
                Refused(target, path, expectedText);
            }
            Edited("position", (_, m) => m["position"] = "12", "with block sizes");
            Edited("negative", (_, m) => m["position"] = "-1", "is not a count of tokens");
            Edited("missing", (t, _) => t.Remove("blocks.1.fold.c"), "missing 'blocks.1.fold.c'");
            Edited("extra", (t, _) => t["blocks.9.tree.h"] = zeros(2, TestModels.Hidden), "unexpected 'blocks.9.tree.h'");
            Edited("shape", (t, _) => t["blocks.0.tree.h"] = zeros(2, TestModels.Hidden + 1), "expected [2, 6]");
            Edited("dtype", (t, _) => t["blocks.2.tree.c"] = zeros(new long[] { 2, TestModels.Hidden }, ScalarType.Float64),
                "dtype Float64");
            Edited("format", (_, m) => m["format"] = "weights", "not a saved stream");
            Edited("nometa", (_, m) => m.Remove("batch"), "no 'batch'");

            // Every refusal left the target as it was: it continues like an untouched stream.
            Assert.Equal(5, target.Position);
            using var untouched = model.OpenStream(2);
            untouched.Push(x.narrow(1, 0, 5));
            Assert.True(TestModels.Identical(target.Push(x.narrow(1, 5, 35)), untouched.Push(x.narrow(1, 5, 35))));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // ---- Bad input ------------------------------------------------------------------------------------------------

    [Fact]
    public void BadInputIsAClearErrorAndLeavesTheStreamUnchanged()
    {
        using var model = new PrLstmModel(TestModels.InputSize, TestModels.Hidden, 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 30, TestModels.InputSize);
        using var stream = model.OpenStream(2);
        using var reference = model.OpenStream(2);
        stream.Push(x.narrow(1, 0, 9));
        reference.Push(x.narrow(1, 0, 9));

        void Refused(Tensor bad, string expectedText)
        {
            var error = Assert.Throws<ArgumentException>(() => stream.Push(bad));
            Assert.Contains(expectedText, error.Message);
            Assert.Throws<ArgumentException>(() => stream.Peek(bad));
            Assert.Equal(9, stream.Position);
        }
        Refused(randn(2, 4), "4 features per token");
        Refused(randn(3, TestModels.InputSize), "opened for a batch of 2");
        Refused(randn(2, 5, 1, TestModels.InputSize), "shape [2, 5, 1, 3]");
        Refused(randn(2, 0, TestModels.InputSize), "no tokens");
        Refused(randn(new long[] { 2, TestModels.InputSize }, ScalarType.Float64), "dtype Float64");
        Refused(ones(new long[] { 2, TestModels.InputSize }, ScalarType.Int64), "floating-point");
        Refused(empty(new long[] { 2, TestModels.InputSize }, device: META), "is on meta");
        var disposed = randn(2, TestModels.InputSize);
        disposed.Dispose();
        Refused(disposed, "disposed");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.OpenStream(0));

        Assert.True(TestModels.Identical(stream.Push(x.narrow(1, 9, 21)), reference.Push(x.narrow(1, 9, 21))));
        stream.Dispose();
        Assert.Throws<ObjectDisposedException>(() => stream.Push(x.select(1, 0)));
    }

    // ---- Memory ---------------------------------------------------------------------------------------------------

    [Fact]
    public void A100000TokenStreamLeaksNothing()
    {
        using var model = new PrRnnModel(TestModels.InputSize, 4, 0);
        using var x = randn(1, 1000, TestModels.InputSize);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var stream = model.OpenStream(1);
        for (int t = 0; t < 100_000; t++)
        {
            using var scope = NewDisposeScope();
            stream.Push(x.select(1, t % 1000));
        }
        // What remains is the stack: a tree per block and a fold per block but the first (one field, s).
        int blocks = BitOperations.PopCount(100_000u);
        Assert.Equal(blocks, stream.BlockSizes.Count);
        Assert.Equal(before + 2 * blocks - 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        stream.Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
