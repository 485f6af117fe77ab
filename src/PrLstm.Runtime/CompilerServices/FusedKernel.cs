using System.ComponentModel;
using System.Numerics;
using System.Runtime.InteropServices;
using PrLstm.Runtime.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// One elementwise region of a declared body, as the generator emits it: a forward kernel and its derived backward
/// kernel, both written as <see cref="FusedMath"/> calls over slots. This class runs them over CPU tensors of float32
/// or float64: it reads each input once and writes each output once, block by block (a block of rows fits in the
/// cache), in parallel over rows, and wires the pair into autograd as one custom function that saves only the region's
/// inputs (the backward recomputes the activations).
/// </summary>
/// <remarks>
/// Slots of a forward block: the inputs, then the outputs, then the temporaries. Of a backward block: the inputs, the
/// outputs' gradients, the inputs' gradients, then the temporaries. For generated code only.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class FusedKernel
{
    /// <summary>The scratch values one block may use across all its slots (so a block stays in the L2 cache).</summary>
    private const int ScratchBytes = 192 * 1024;

    /// <summary>A call with fewer slot values than this runs on the calling thread alone (a task costs a few microseconds).</summary>
    private const long MinValuesInParallel = 1 << 16;

    private readonly Input[] _inputs;

    /// <summary>For each argument, the first columns of the inputs that read it, ascending.</summary>
    private readonly long[][] _columnsRead;

    /// <param name="name">The body's name, for messages.</param>
    /// <param name="width">The size of every value of the region (elementwise values never change size).</param>
    /// <param name="inputs">For each input slot: which argument tensor it reads, from which column of its last dimension.</param>
    /// <param name="outputs">The number of outputs.</param>
    /// <param name="forwardTemporaries">The temporary slots of the forward kernel.</param>
    /// <param name="backwardTemporaries">The temporary slots of the backward kernel.</param>
    protected FusedKernel(string name, long width, (int Argument, long Column)[] inputs, int outputs, int forwardTemporaries,
        int backwardTemporaries)
    {
        Name = name;
        Width = checked((int)width);
        _inputs = inputs.Select(i => new Input(i.Argument, i.Column)).ToArray();
        Arguments = inputs.Length == 0 ? 0 : inputs.Max(i => i.Argument) + 1;
        _columnsRead = Enumerable.Range(0, Arguments)
            .Select(a => _inputs.Where(i => i.Argument == a).Select(i => i.Column).Order().ToArray()).ToArray();
        Outputs = outputs;
        ForwardTemporaries = forwardTemporaries;
        BackwardTemporaries = backwardTemporaries;
    }

    /// <summary>The body's name, for messages.</summary>
    public string Name { get; }

    /// <summary>The size of every value of the region.</summary>
    public int Width { get; }

    /// <summary>The number of argument tensors <see cref="Apply"/> takes.</summary>
    public int Arguments { get; }

    /// <summary>The number of output tensors.</summary>
    public int Outputs { get; }

    /// <summary>The temporary slots of the forward kernel.</summary>
    public int ForwardTemporaries { get; }

    /// <summary>The temporary slots of the backward kernel.</summary>
    public int BackwardTemporaries { get; }

    /// <summary>The first column of gate <paramref name="gate"/> in a projection whose gates have these sizes.</summary>
    public static long Column(long[] gateSizes, int gate) => gateSizes.Take(gate).Sum();

    /// <summary>The forward kernel over one block: the outputs' slots from the inputs' slots.</summary>
    protected abstract void Forward<T>(KernelSlots<T> slots) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The backward kernel over one block: the inputs' gradient slots from the inputs and the outputs' gradients.</summary>
    protected abstract void Backward<T>(KernelSlots<T> slots) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The forward kernel as libtorch operations on the input slots' tensors (<c>[B, T, Width]</c> each, in slot order),
    /// which autograd records: what the backward differentiates when a gradient of the gradient is asked for.
    /// </summary>
    protected abstract Tensor[] ForwardOpByOp(Tensor[] inputs);

    /// <summary>
    /// A stream of at most this many rows runs its layers' <see cref="KernelPath.Automatic"/> bodies on the fused
    /// kernels: a streamed token took 0.60-0.90 of the op-by-op time at B = 1 and 8 (docs/performance.md). The choice is
    /// per stream, not per call, so that every call of a stream takes one path and its outputs do not depend on how its
    /// tokens were pushed.
    /// </summary>
    public const long StreamRowsOnFusedKernels = 8;

    private static bool _preferLibtorchThreads = true;

    /// <summary>
    /// Whether the kernels run their blocks on libtorch's OpenMP threads (the default where libtorch's libgomp is found:
    /// Linux) rather than on .NET's thread pool. Only on libtorch's threads are they faster than the op-by-op bodies for
    /// training, so <see cref="KernelPath.Automatic"/> takes them for calls that record a gradient only then. Settable
    /// (to false) so that benchmarks can compare the two; true where libgomp is not found stays false.
    /// </summary>
    public static bool OnLibtorchThreads
    {
        get => _preferLibtorchThreads && OpenMpTeam.Available;
        set => _preferLibtorchThreads = value;
    }

    /// <summary>
    /// While true, the kernels compute nothing: their outputs and gradients are zeros, written once, which any
    /// implementation must at least do. Only for `prlstm bench --kernels`, which times a step with it to measure the floor
    /// under any elementwise implementation inside this schedule and autograd: the matmuls and everything else the step
    /// does but the kernels' reads and math (PrLstm.Benchmarks.KernelFloor).
    /// </summary>
    internal static bool SkipWorkForFloor;

    /// <summary>Whether the calls on this thread belong to a stream that runs on the fused kernels.</summary>
    [ThreadStatic] private static bool _inFusedStream;

    /// <summary>
    /// Until disposed, <see cref="KernelPath.Automatic"/> layers on this thread run their fused kernels (on the CPU,
    /// float32 or float64, without a gradient) when <paramref name="batch"/> is at most
    /// <see cref="StreamRowsOnFusedKernels"/>. For a stream's push.
    /// </summary>
    internal static StreamKernels ForStream(long batch) => new(batch <= StreamRowsOnFusedKernels);

    /// <summary>Restores the previous choice when disposed.</summary>
    internal readonly struct StreamKernels : IDisposable
    {
        private readonly bool _previous;

        public StreamKernels(bool fused)
        {
            _previous = _inFusedStream;
            _inFusedStream = fused;
        }

        public void Dispose() => _inFusedStream = _previous;
    }

    /// <summary>
    /// Whether a layer with <paramref name="path"/> runs its fused kernels for a call whose inputs look like
    /// <paramref name="probe"/> (<c>[B, T, size]</c>): always when forced (<see cref="KernelPath.Fused"/>); never with
    /// <see cref="KernelPath.OpByOp"/>; with <see cref="KernelPath.Automatic"/> for CPU tensors of float32 or float64
    /// while autograd records (training) when the kernels run <see cref="OnLibtorchThreads"/>, and without a gradient
    /// inside a small stream's push (see <see cref="StreamRowsOnFusedKernels"/>).
    /// </summary>
    /// <exception cref="NotSupportedException"><see cref="KernelPath.Fused"/> for tensors the kernels cannot run.</exception>
    public static bool Chooses(KernelPath path, Tensor probe, string layer) => path switch
    {
        KernelPath.OpByOp => false,
        KernelPath.Automatic => (is_grad_enabled() ? OnLibtorchThreads : _inFusedStream) && Runs(probe),
        _ => Runs(probe) ? true : throw new NotSupportedException($"{layer}: the fused kernels run on CPU tensors of float32 or "
            + $"float64 shaped [B, T, size]; this call has {Describe(probe)}. Use KernelPath.Automatic or KernelPath.OpByOp."),
    };

    /// <summary>Whether the kernels run <paramref name="tensor"/>: a CPU tensor of float32 or float64 shaped [B, T, size].</summary>
    private static bool Runs(Tensor tensor) =>
        tensor.device_type == DeviceType.CPU && tensor.dtype is ScalarType.Float32 or ScalarType.Float64 && tensor.dim() == 3;

    /// <summary>A tensor for messages: "a CPU Float16 tensor of shape [2, 3, 4]".</summary>
    private static string Describe(Tensor tensor) => $"a {tensor.device_type} {tensor.dtype} tensor of shape {ModelInput.Shape(tensor)}";

    /// <summary>
    /// The region's outputs, <c>[B, T, Width]</c> each, from its argument tensors <c>[B, T, columns]</c> (leading axes
    /// broadcast as torch would). With a gradient to record, through autograd; otherwise straight.
    /// </summary>
    public Tensor[] Apply(params Tensor[] arguments)
    {
        if (arguments.Length != Arguments)
            throw new ArgumentException($"{Name}: the fused kernel takes {Arguments} tensors, not {arguments.Length}.", nameof(arguments));
        var dtype = arguments[0].dtype;
        if (!arguments.All(a => Runs(a) && a.dtype == dtype))
            throw new NotSupportedException($"{Name}: the fused kernel needs CPU tensors of float32 or float64, all of one dtype, "
                + $"shaped [B, T, size]; got {string.Join(", ", arguments.Select(Describe))}.");
        // Sizes and strides are native calls: each is read once per call.
        var layouts = Array.ConvertAll(arguments, Layout.Of);
        long batch = 1, time = 1;
        foreach (Layout layout in layouts)
        {
            batch = Broadcast(batch, layout.Shape[0]);
            time = Broadcast(time, layout.Shape[1]);
        }
        for (int i = 0; i < _inputs.Length; i++)
        {
            long columns = layouts[_inputs[i].Argument].Shape[2];
            if (_inputs[i].Column + Width > columns)
                throw new ArgumentException($"{Name}: input {i} reads columns {_inputs[i].Column}..{_inputs[i].Column + Width - 1} of a "
                    + $"tensor with {columns}.", nameof(arguments));
        }

        using var scope = NewDisposeScope();
        var shaped = new Tensor[arguments.Length];
        bool record = false;
        for (int a = 0; a < arguments.Length; a++)
        {
            shaped[a] = Shaped(arguments[a], ref layouts[a], batch, time);
            record |= shaped[a].requires_grad;
        }
        record &= is_grad_enabled();
        var outputs = record ? Record(shaped) : RunForward(shaped, layouts);
        foreach (Tensor output in outputs) output.MoveToOuterDisposeScope();
        return outputs;

        long Broadcast(long size, long other) => size == other || other == 1 ? size : size == 1 ? other
            : throw new ArgumentException($"{Name}: leading sizes {size} and {other} of its tensors do not broadcast.", nameof(arguments));
    }

    /// <summary>The outputs through autograd: one custom node that saves the arguments (<see cref="CustomNodes.Record"/>).</summary>
    private Tensor[] Record(Tensor[] arguments) =>
        CustomNodes.Record(() => FusedFunction.apply(new object[] { this }.Concat(arguments).ToArray()));

    /// <summary>
    /// [B, T, columns] with unit stride along the columns: expanded (a view) where an axis broadcasts, copied where the
    /// columns are strided; <paramref name="layout"/> follows.
    /// </summary>
    private static Tensor Shaped(Tensor argument, ref Layout layout, long batch, long time)
    {
        Tensor shaped = argument;
        if (layout.Shape[0] != batch || layout.Shape[1] != time)
        {
            shaped = argument.expand(batch, time, layout.Shape[2]);
            layout = Layout.Of(shaped);
        }
        if (layout.Strides[2] != 1 && layout.Shape[2] != 1)
        {
            shaped = shaped.contiguous();
            layout = Layout.Of(shaped);
        }
        return shaped;
    }

    /// <summary>The outputs from the arguments (already shaped), without autograd.</summary>
    internal Tensor[] RunForward(Tensor[] arguments, Layout[]? layouts = null)
    {
        layouts ??= Array.ConvertAll(arguments, Layout.Of);
        var dtype = arguments[0].dtype;
        long batch = layouts[0].Shape[0], time = layouts[0].Shape[1];
        var outputLayout = Layout.Contiguous(batch, time, Width);
        var outputs = new Tensor[Outputs];
        var views = new (RowView View, bool Read)[_inputs.Length + Outputs];
        ViewInputs(arguments, layouts, views, read: true);
        for (int o = 0; o < Outputs; o++)
        {
            outputs[o] = NewResult(outputLayout.Shape, dtype, arguments[0].device);
            views[_inputs.Length + o] = (RowView.Of(outputs[o], outputLayout, 0), false);
        }
        Run(dtype, batch * time, views, ForwardTemporaries, forward: true);
        return outputs;
    }

    /// <summary>Gradients of the arguments (in order) from the saved arguments and the outputs' gradients.</summary>
    internal Tensor[] RunBackward(IReadOnlyList<Tensor> arguments, IReadOnlyList<Tensor> outputGradients)
    {
        var layouts = arguments.Select(Layout.Of).ToArray();
        var dtype = arguments[0].dtype;
        long batch = layouts[0].Shape[0], time = layouts[0].Shape[1];
        var gradients = new Tensor[arguments.Count];
        var gradientLayouts = new Layout[arguments.Count];
        for (int a = 0; a < gradients.Length; a++)
        {
            gradientLayouts[a] = Layout.Contiguous(batch, time, layouts[a].Shape[2]);
            gradients[a] = NewResult(gradientLayouts[a].Shape, dtype, arguments[a].device);
            // Columns of an argument that no input reads get no gradient from this region: zero.
            long next = 0;
            foreach (long column in _columnsRead[a].Append(layouts[a].Shape[2]))
            {
                if (column > next)
                    using (var gap = gradients[a].narrow(2, next, column - next)) gap.zero_();
                next = column + Width;
            }
        }
        var shapedGradients = new Tensor[outputGradients.Count];
        var views = new (RowView View, bool Read)[2 * _inputs.Length + outputGradients.Count];
        ViewInputs(arguments, layouts, views, read: true);
        ViewInputs(gradients, gradientLayouts, views.AsSpan(_inputs.Length + outputGradients.Count), read: false);
        for (int g = 0; g < outputGradients.Count; g++)
        {
            var layout = Layout.Of(outputGradients[g]);
            shapedGradients[g] = Shaped(outputGradients[g], ref layout, batch, time);
            views[_inputs.Length + g] = (RowView.Of(shapedGradients[g], layout, 0), true);
        }
        Run(dtype, batch * time, views, BackwardTemporaries, forward: false);
        foreach (var (shaped, given) in shapedGradients.Zip(outputGradients))
            if (!ReferenceEquals(shaped, given)) shaped.Dispose();
        return gradients;
    }

    /// <summary>A tensor the kernel writes in full (an output, a gradient); zeros while the kernels measure their floor.</summary>
    private static Tensor NewResult(long[] shape, ScalarType dtype, Device device) =>
        SkipWorkForFloor ? zeros(shape, dtype, device) : empty(shape, dtype, device);

    /// <summary>
    /// The arguments' gradients (null where none) as libtorch operations that autograd records: the op-by-op form of the
    /// forward kernel on the input slots (views of the saved arguments), differentiated with a graph.
    /// </summary>
    private Tensor?[] RecordedBackward(IReadOnlyList<Tensor> arguments, IReadOnlyList<Tensor> outputGradients)
    {
        using var scope = NewDisposeScope();
        var cuts = CustomNodes.CutPoints(arguments);
        var inputs = _inputs.Select(i => cuts[i.Argument].narrow(2, i.Column, Width)).ToArray();
        // An output of constants or of broadcast inputs alone may be smaller than the output: expanded to it.
        var outputs = ForwardOpByOp(inputs).Select((output, o) => output.expand(outputGradients[o].shape)).ToArray();
        var gradients = CustomNodes.Differentiate(outputs, outputGradients, cuts, createGraph: true);
        foreach (Tensor? gradient in gradients) gradient?.MoveToOuterDisposeScope();
        return gradients;
    }

    /// <summary>
    /// Each input slot's view: its columns of the tensor of its argument (<paramref name="tensors"/>, one per argument,
    /// sized as <paramref name="layouts"/>), read into the block or written from it.
    /// </summary>
    private void ViewInputs(IReadOnlyList<Tensor> tensors, Layout[] layouts, Span<(RowView View, bool Read)> views, bool read)
    {
        for (int i = 0; i < _inputs.Length; i++)
            views[i] = (RowView.Of(tensors[_inputs[i].Argument], layouts[_inputs[i].Argument], _inputs[i].Column), read);
    }

    private void Run(ScalarType dtype, long rows, (RowView View, bool Read)[] views, int temporaries, bool forward)
    {
        if (dtype == ScalarType.Float32) Run<float>(rows, views, temporaries, forward);
        else if (dtype == ScalarType.Float64) Run<double>(rows, views, temporaries, forward);
        else throw new NotSupportedException($"{Name}: the fused kernels run float32 and float64, not {dtype}.");
    }

    private void Run<T>(long rows, (RowView View, bool Read)[] views, int temporaries, bool forward)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows == 0 || SkipWorkForFloor) return;
        int slots = views.Length + temporaries;
        int rowsPerBlock = Math.Max(1, ScratchBytes / (Marshal.SizeOf<T>() * Math.Max(1, slots) * Width));
        long blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;

        void RunBlock(long block)
        {
            int stride = rowsPerBlock * Width;
            T[] scratch = Scratch<T>.Get(slots * stride);
            long row0 = block * rowsPerBlock;
            int count = (int)Math.Min(rowsPerBlock, rows - row0);
            var slotsOfBlock = new KernelSlots<T>(scratch, stride, count * Width);
            for (int v = 0; v < views.Length; v++)
                if (views[v].Read) views[v].View.Copy(row0, count, Width, slotsOfBlock[v], read: true);
            if (forward) Forward(slotsOfBlock);
            else Backward(slotsOfBlock);
            for (int v = 0; v < views.Length; v++)
                if (!views[v].Read) views[v].View.Copy(row0, count, Width, slotsOfBlock[v], read: false);
        }

        // Blocks are handed out one by one as threads ask, not split evenly up front: a thread that shares its core with
        // another process's work runs slower, and an even split would wait for it. On libtorch's OpenMP threads where
        // they are found, so that the kernel does not compete with them (docs/performance.md, "Fused kernels").
        if (blocks == 1 || rows * Width * slots < MinValuesInParallel)
            for (long block = 0; block < blocks; block++) RunBlock(block);
        else if (OnLibtorchThreads)
            OpenMpTeam.For(blocks, RunBlock);
        else
            Parallel.For(0, blocks, RunBlock);
    }

    private readonly record struct Input(int Argument, long Column);

    /// <summary>A [B, T, columns] tensor's sizes and strides (in elements), read once per call.</summary>
    internal readonly record struct Layout(long[] Shape, long[] Strides)
    {
        /// <summary>
        /// Read dimension by dimension: TorchSharp's whole-array <c>shape</c> and <c>stride()</c> allocate through a
        /// callback (measured 3.0 µs for the pair, against 0.11 µs for the six single reads).
        /// </summary>
        public static Layout Of(Tensor tensor) =>
            new(new[] { tensor.size(0), tensor.size(1), tensor.size(2) }, new[] { tensor.stride(0), tensor.stride(1), tensor.stride(2) });

        public static Layout Contiguous(long batch, long time, long columns) =>
            new(new[] { batch, time, columns }, new[] { time * columns, columns, 1L });
    }

    /// <summary>Rows of a [B, T, columns] tensor (any strides on B and T, unit stride on columns) from a column on.</summary>
    private readonly unsafe struct RowView
    {
        private readonly byte* _data;
        private readonly long _time, _strideBatch, _strideTime;

        private RowView(byte* data, long time, long strideBatch, long strideTime)
        {
            _data = data;
            _time = time;
            _strideBatch = strideBatch;
            _strideTime = strideTime;
        }

        /// <summary>
        /// The view of <paramref name="tensor"/>'s rows (sizes and strides <paramref name="layout"/>) from
        /// <paramref name="column"/> on; strides in bytes.
        /// </summary>
        public static RowView Of(Tensor tensor, Layout layout, long column)
        {
            long size = tensor.dtype == ScalarType.Float64 ? sizeof(double) : sizeof(float);
            byte* data = (byte*)THSTensor_data(tensor.Handle);
            if (data == null && layout.Shape.Aggregate(1L, (n, s) => n * s) > 0)
                throw new InvalidOperationException("libtorch returned no data pointer for a tensor of the fused kernel.");
            return new RowView(data + column * size, layout.Shape[1], layout.Strides[0] * size, layout.Strides[1] * size);
        }

        /// <summary>
        /// Copies <paramref name="count"/> rows from <paramref name="row0"/> on, each <paramref name="width"/> values,
        /// between the tensor and <paramref name="block"/> (rows one after another): into the block when
        /// <paramref name="read"/>, out of it otherwise. Walks (batch, time) by counting: no division per row. Rows that
        /// follow one another in memory (a contiguous tensor's, within one batch entry) go in one copy.
        /// </summary>
        public void Copy<T>(long row0, int count, int width, Span<T> block, bool read) where T : unmanaged
        {
            long batch = row0 / _time, time = row0 % _time;
            byte* row = _data + batch * _strideBatch + time * _strideTime;
            bool dense = _strideTime == (long)width * sizeof(T);
            for (int r = 0; r < count;)
            {
                int run = dense ? (int)Math.Min(count - r, _time - time) : 1;
                var values = new Span<T>(row, run * width);
                var slice = block.Slice(r * width, run * width);
                if (read) values.CopyTo(slice);
                else slice.CopyTo(values);
                r += run;
                time += run;
                if (time < _time)
                {
                    row += run * _strideTime;
                }
                else
                {
                    time = 0;
                    row = _data + ++batch * _strideBatch;
                }
            }
        }
    }

    /// <summary>One scratch array per thread and element type, grown as needed and then reused (no allocation per call).</summary>
    private static class Scratch<T>
    {
        [ThreadStatic] private static T[]? _buffer;

        public static T[] Get(int length)
        {
            if (_buffer is null || _buffer.Length < length) _buffer = new T[length];
            return _buffer;
        }
    }

    /// <summary>The void* data pointer of a tensor (its storage plus offset), as TorchSharp's own accessors read it.</summary>
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    /// <summary>The region as one autograd node: it saves the arguments only; its backward runs the backward kernel.</summary>
    private sealed class FusedFunction : torch.autograd.MultiTensorFunction<FusedFunction>
    {
        private const string KernelKey = "kernel";

        public override string Name => "PrLstmFusedKernel";

        public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
        {
            var kernel = (FusedKernel)vars[0];
            var arguments = vars.Skip(1).Cast<Tensor>().ToArray();
            ctx.save_for_backward(arguments.ToList());
            ctx.save_data(KernelKey, kernel);
            return CustomNodes.Forwarded(ctx, kernel.RunForward(arguments));
        }

        /// <summary>
        /// The backward kernel; or, in a backward that builds a graph (create_graph: grad mode is on), the derivative of the
        /// kernel's op-by-op form, which autograd records, so that the gradients can be differentiated again.
        /// </summary>
        public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs) =>
            CustomNodes.Backward(ctx, grad_outputs, (arguments, outputGradients) =>
            {
                var kernel = (FusedKernel)ctx.get_data(KernelKey);
                return new Tensor?[] { null }.Concat(is_grad_enabled()
                    ? kernel.RecordedBackward(arguments, outputGradients)
                    : kernel.RunBackward(arguments, outputGradients));
            });
    }
}

/// <summary>The slots of one block of a fused kernel: equal spans of one scratch array.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly ref struct KernelSlots<T>
{
    private readonly Span<T> _scratch;
    private readonly int _stride;

    /// <summary>Slots of <paramref name="length"/> values, every <paramref name="stride"/> values of the scratch.</summary>
    public KernelSlots(Span<T> scratch, int stride, int length)
    {
        _scratch = scratch;
        _stride = stride;
        Length = length;
    }

    /// <summary>The number of values in each slot of this block (rows × width).</summary>
    public int Length { get; }

    /// <summary>The values of one slot.</summary>
    public Span<T> this[int slot] => _scratch.Slice(slot * _stride, Length);
}
