using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using PrLstm.Runtime.Modules;

namespace PrLstm.Experiments;

/// <summary>
/// A sequence model with a readout to the task's classes: <c>logits_t = W·act(core(x)_t) + b</c>, where act is
/// relu for the recurrent models and the identity for the Transformer (spec sections 5 and 7).
/// Parameters: <c>core.*</c> and <c>readout.weight</c>, <c>readout.bias</c>.
/// </summary>
public sealed class TaskModel : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> core;
    private readonly Linear readout;
    private readonly bool reluBeforeReadout;

    /// <param name="core">A module implementing <see cref="IPrefixModel"/>.</param>
    /// <param name="classes">Number of output classes C.</param>
    /// <param name="reluBeforeReadout">Apply relu to the core's output before the readout (all models but the Transformer).</param>
    public TaskModel(nn.Module<Tensor, Tensor> core, long classes, bool reluBeforeReadout = true) : base(nameof(TaskModel))
    {
        if (core is not IPrefixModel prefix)
            throw new ArgumentException($"{core.GetType().Name} does not implement IPrefixModel", nameof(core));
        ModelArguments.Positive(classes, nameof(classes));
        this.core = core;
        this.reluBeforeReadout = reluBeforeReadout;
        var parameter = core.parameters().FirstOrDefault();
        readout = nn.Linear(prefix.OutputSize, classes, hasBias: true, device: parameter?.device, dtype: parameter?.dtype);
        RegisterComponents();
        Initialization.ResetParameters(readout);
    }

    /// <summary>The wrapped sequence model.</summary>
    public nn.Module<Tensor, Tensor> Core => core;

    /// <summary>x <c>[B, T, E]</c> → logits <c>[B, T, C]</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Readout(core.forward(x)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// When true, <see cref="ForwardAt"/> computes every prefix and takes the positions asked for (the reference path,
    /// for tests and comparisons); by default the core computes only the positions asked for.
    /// </summary>
    public bool ComputeEveryPosition { get; set; }

    /// <summary>
    /// The logits at <paramref name="positions"/> alone (ascending, distinct): <c>[B, P, C]</c>, equal to those positions
    /// of <see cref="forward"/>. What a loss reads that looks at some positions only: a generated core computes only the
    /// tree nodes they need (<see cref="IPrefixModel.ForwardAt"/>).
    /// </summary>
    public Tensor ForwardAt(Tensor x, IReadOnlyList<long> positions)
    {
        using var scope = NewDisposeScope();
        Tensor hidden = ComputeEveryPosition
            ? PrLstm.Runtime.Schedule.TimeAxis.Select(core.forward(x), positions)
            : ((IPrefixModel)core).ForwardAt(x, positions);
        return Readout(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>The readout alone: the core's outputs <c>[..., H]</c> → logits <c>[..., C]</c>.</summary>
    public Tensor Readout(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return readout.forward(reluBeforeReadout ? nn.functional.relu(hidden) : hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Opens a stream over the core (outputs before the <see cref="Readout"/>): the core's own when it reads one token
    /// at a time (<see cref="IStreamingModel"/>, every generated model), otherwise a <see cref="RecomputingStream"/>.
    /// </summary>
    public IModelStream OpenStream(long batch) =>
        core is IStreamingModel streaming ? streaming.OpenStream(batch) : new RecomputingStream(core, batch);
}
