using PrLstm.FormalLanguages.Models;
using PrLstm.Runtime.CompilerServices;
using PrLstm.Runtime.Modules;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>Tests that change a setting of the whole process (FusedKernel.OnLibtorchThreads): they run alone.</summary>
[CollectionDefinition(nameof(ProcessWideSettings), DisableParallelization = true)]
public sealed class ProcessWideSettings
{
}

/// <summary>
/// The fused kernels' blocks on libtorch's OpenMP threads (OpenMpTeam, libgomp's GOMP_parallel): found on Linux, every
/// index run once, on a team of torch.get_num_threads() threads, exceptions brought back, and the same values as on
/// .NET's thread pool; and KernelPath.Automatic taking the fused kernels for training where they run there.
/// </summary>
[Collection(nameof(ProcessWideSettings))]
public class OpenMpTeamTests
{
    [Fact]
    public void OnLinuxTheKernelsRunOnLibtorchsOpenMpThreads()
    {
        using var loaded = zeros(1);
        Assert.Equal(OperatingSystem.IsLinux(), OpenMpTeam.Available);
        Assert.Equal(OpenMpTeam.Available, FusedKernel.OnLibtorchThreads);
    }

    [Fact]
    public void EveryIndexRunsOnce()
    {
        using var loaded = zeros(1);
        if (!OpenMpTeam.Available) return;
        var runs = new int[1000];
        OpenMpTeam.For(runs.Length, i => Interlocked.Increment(ref runs[i]));
        Assert.All(runs, count => Assert.Equal(1, count));
        OpenMpTeam.For(0, _ => throw new InvalidOperationException("no index to run"));
    }

    /// <summary>
    /// Two indices that each wait for the other: only a team of two threads runs them both (one thread alone would wait
    /// out the timeout at the first). The other thread is libgomp's, not one of .NET's pool.
    /// </summary>
    [Fact]
    public void TheTeamHasTorchsNumberOfThreads()
    {
        using var loaded = zeros(1);
        if (!OpenMpTeam.Available || get_num_threads() < 2) return;
        using var meeting = new Barrier(2);
        var met = new bool[2];
        var poolThread = new bool[2];
        var threads = new int[2];
        OpenMpTeam.For(2, i =>
        {
            met[i] = meeting.SignalAndWait(TimeSpan.FromSeconds(20));
            poolThread[i] = Thread.CurrentThread.IsThreadPoolThread;
            threads[i] = Environment.CurrentManagedThreadId;
        });
        Assert.True(met[0] && met[1], "the two indices did not run at the same time on two threads");
        Assert.NotEqual(threads[0], threads[1]);
        int other = threads[0] == Environment.CurrentManagedThreadId ? 1 : 0;
        Assert.Contains(Environment.CurrentManagedThreadId, threads);
        Assert.False(poolThread[other], "the second thread is one of .NET's thread pool, not libgomp's");
    }

    [Fact]
    public void ATeamOfOneThreadRunsOnTheCallingThread()
    {
        using var loaded = zeros(1);
        if (!OpenMpTeam.Available) return;
        var threads = new List<int>();
        var caller = new Thread(() =>
        {
            int previous = get_num_threads();
            set_num_threads(1);
            try
            {
                OpenMpTeam.For(64, _ =>
                {
                    lock (threads) threads.Add(Environment.CurrentManagedThreadId);
                });
            }
            finally
            {
                set_num_threads(previous);
            }
            threads.Add(-Environment.CurrentManagedThreadId);
        });
        caller.Start();
        caller.Join();
        int callerId = -threads[^1];
        Assert.Equal(64, threads.Count - 1);
        Assert.All(threads.SkipLast(1), id => Assert.Equal(callerId, id));
    }

    [Fact]
    public void AnExceptionInTheLoopComesBackToTheCaller()
    {
        using var loaded = zeros(1);
        if (!OpenMpTeam.Available) return;
        var error = Assert.Throws<AggregateException>(() => OpenMpTeam.For(100, i =>
        {
            if (i == 37) throw new InvalidOperationException("index 37 failed");
        }));
        Assert.Equal("index 37 failed", Assert.IsType<InvalidOperationException>(error.InnerException).Message);
        // The team is still usable.
        long sum = 0;
        OpenMpTeam.For(100, i => Interlocked.Add(ref sum, i));
        Assert.Equal(4950, sum);
    }

    /// <summary>
    /// A call large enough to run its blocks in parallel (3 x 257 pairs of 40 values), forward and backward, on libtorch's
    /// threads and on .NET's pool: blocks are independent, so the values are the same to the bit.
    /// </summary>
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void FusedKernelsComputeTheSameOnEitherThreads(ScalarType dtype)
    {
        using var generator = new Generator(257);
        using var layer = new LstmMerge.Layer(40, dtype: dtype) { KernelPath = KernelPath.Fused };
        using var scope = NewDisposeScope();
        var (h, c) = (randn(new[] { 3, 2 * 257, 40L }, dtype: dtype, generator: generator).requires_grad_(),
            randn(new[] { 3, 2 * 257, 40L }, dtype: dtype, generator: generator).requires_grad_());
        var weights = randn(new[] { 3, 257, 40L }, dtype: dtype, generator: generator);
        Tensor[] Run(bool onLibtorchThreads)
        {
            FusedKernel.OnLibtorchThreads = onLibtorchThreads;
            try
            {
                var merged = layer.forward(new(h.slice(1, 0, 2 * 257, 2), c.slice(1, 0, 2 * 257, 2)),
                    new(h.slice(1, 1, 2 * 257, 2), c.slice(1, 1, 2 * 257, 2)));
                var gradients = autograd.grad(new[] { (merged.h * weights).sum() + merged.c.sum() },
                    new[] { h, c }.Concat(layer.parameters()).ToArray());
                return new[] { merged.h.detach(), merged.c.detach() }.Concat(gradients).ToArray();
            }
            finally
            {
                FusedKernel.OnLibtorchThreads = true;
            }
        }

        var libtorchThreads = Run(true);
        var dotnetThreads = Run(false);
        for (int i = 0; i < libtorchThreads.Length; i++)
            Assert.True(TestModels.Identical(libtorchThreads[i], dotnetThreads[i]), $"tensor {i} differs between the thread pools");
    }

    /// <summary>
    /// The default path of a training step is the fused one where the kernels run on libtorch's threads (bit for bit the
    /// forced fused step), and the op-by-op one otherwise; without a gradient, op-by-op outside small streams.
    /// </summary>
    [Fact]
    public void AutomaticTrainsOnTheFusedKernelsWhereTheyRunOnLibtorchsThreads()
    {
        using var generator = new Generator(40);
        using var model = (PrLstmModel)FusedKernelTests.CreateModel(nameof(PrLstmModel), ScalarType.Float32, generator, hidden: 16);
        using var scope = NewDisposeScope();
        var x = randn(new[] { 16, 40, 3L }, generator: generator);
        Tensor[] Step(KernelPath path)
        {
            model.KernelPath = path;
            var loss = model.forward(x).square().sum();
            var gradients = autograd.grad(new[] { loss }, model.parameters().ToArray());
            return new[] { loss.detach() }.Concat(gradients).ToArray();
        }

        bool[] settings = OpenMpTeam.Available ? new[] { true, false } : new[] { false };
        try
        {
            foreach (bool onLibtorchThreads in settings)
            {
                FusedKernel.OnLibtorchThreads = onLibtorchThreads;
                var automatic = Step(KernelPath.Automatic);
                var expected = Step(onLibtorchThreads ? KernelPath.Fused : KernelPath.OpByOp);
                for (int i = 0; i < automatic.Length; i++)
                    Assert.True(TestModels.Identical(automatic[i], expected[i]),
                        $"tensor {i} of a default training step is not the {(onLibtorchThreads ? "fused" : "op-by-op")} one");
                Assert.Equal(onLibtorchThreads, FusedKernel.Chooses(KernelPath.Automatic, x, "test"));
                using (no_grad())
                    Assert.False(FusedKernel.Chooses(KernelPath.Automatic, x, "test"));
            }
        }
        finally
        {
            FusedKernel.OnLibtorchThreads = true;
        }
    }
}
