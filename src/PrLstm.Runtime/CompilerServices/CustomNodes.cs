using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.CompilerServices;

/// <summary>
/// The handle bookkeeping of the runtime's custom autograd functions (TorchSharp's <c>MultiTensorFunction</c>): the
/// fused kernels and the recomputing combine. TorchSharp 0.107 makes extra handles around a custom node, in whatever
/// dispose scope is current, that would otherwise keep tensors alive until that scope ends; this class lets each go
/// as soon as libtorch holds its own reference.
/// </summary>
internal static class CustomNodes
{
    [ThreadStatic] private static Tensor[]? _forwardOutputs;
    [ThreadStatic] private static torch.autograd.AutogradContext? _forwardContext;
    [ThreadStatic] private static List<Tensor>? _returnedGradients;

    /// <summary>
    /// Calls <paramref name="apply"/> (a function's <c>apply</c>, whose forward ends with <see cref="Forwarded"/>) and
    /// returns its outputs in the caller's scope. The forward's own output handles are disposed (autograd hands on new
    /// ones); the node's other handles are its own (it disposes them); and the node's per-output tensors, which it keeps
    /// until the graph is freed only to read their shapes, are replaced by one-value tensors (<see cref="OutputCache"/>).
    /// Handles are told apart by reference: TorchSharp's Tensor.Equals compares values (torch.equal).
    /// </summary>
    public static Tensor[] Record(Func<List<Tensor>> apply)
    {
        using var scope = NewDisposeScope();
        var outputs = apply().ToArray();
        var forwardHandles = _forwardOutputs ?? Array.Empty<Tensor>();
        var context = _forwardContext;
        (_forwardOutputs, _forwardContext) = (null, null);
        scope.MoveToOuter(outputs);
        scope.Detach(scope.DisposablesView.Where(d => !forwardHandles.Any(h => ReferenceEquals(h, d))).ToList());
        OutputCache.Release(context);
        return outputs;
    }

    /// <summary>What a function's forward returns: its outputs, noted for <see cref="Record"/>.</summary>
    public static List<Tensor> Forwarded(torch.autograd.AutogradContext context, Tensor[] outputs)
    {
        (_forwardOutputs, _forwardContext) = (outputs, context);
        return outputs.ToList();
    }

    /// <summary>
    /// A function's backward: the gradients <paramref name="gradients"/> computes from the saved tensors and the outputs'
    /// gradients, one per forward argument (null for a non-tensor argument or no gradient). The handles TorchSharp made
    /// for the saved tensors and the outputs' gradients are ours and disposed here. The returned gradients' handles must
    /// outlive the callback (libtorch takes its reference only after it returns), but left to the dispose scope around
    /// <c>backward()</c> they kept every gradient of every custom node of a training step alive to the step's end: so
    /// each backward on a thread first releases the ones the previous backward returned. At most one node's handles wait.
    /// </summary>
    public static List<Tensor> Backward(torch.autograd.AutogradContext context, List<Tensor> outputGradients,
        Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>, IEnumerable<Tensor?>> gradients)
    {
        if (_returnedGradients is { Count: > 0 } waiting)
        {
            foreach (Tensor gradient in waiting) gradient.Dispose();
            waiting.Clear();
        }
        var saved = context.get_saved_variables();
        try
        {
            var list = gradients(saved, outputGradients).ToList();
            _returnedGradients ??= new List<Tensor>();
            foreach (Tensor? gradient in list)
                if (gradient is not null) _returnedGradients.Add(gradient);
            return list!;
        }
        finally
        {
            foreach (Tensor tensor in saved) tensor.Dispose();
            foreach (Tensor gradient in outputGradients) gradient.Dispose();
        }
    }

    /// <summary>
    /// A view of each saved tensor, to differentiate a fused region's op-by-op form with respect to in a backward that builds
    /// a graph: the views' gradients are expressions in the saved tensors, so they can be differentiated again, and each
    /// counts only the uses of its own view. Differentiated with respect to the saved tensors themselves, one saved tensor
    /// computed from another (c and 3·c) would get the other's contribution too, and then again from the outer backward.
    /// Only for bodies that read nothing but their inputs: asked for the gradient of a tensor the body reads directly (a
    /// parameter), autograd would also count the paths through the views into the saved tensors' history
    /// (<see cref="Reattach"/> is for those).
    /// </summary>
    public static Tensor[] CutPoints(IReadOnlyList<Tensor> saved) => saved.Select(t => t.requires_grad ? t.view_as(t) : t).ToArray();

    /// <summary>
    /// The gradients of <paramref name="inputs"/> (null where an input has none) of <paramref name="outputs"/>, which
    /// autograd recorded, given the outputs' gradients: autograd.grad over the outputs and inputs that take part only, since
    /// it throws when none does, and an exception inside a backward ends the process. With <paramref name="createGraph"/>
    /// (a backward that builds a graph) the gradients are recorded too, so that they can be differentiated again.
    /// <paramref name="retainGraph"/> keeps the outputs' graph for a later backward through it (by default when
    /// <paramref name="createGraph"/>).
    /// </summary>
    public static Tensor?[] Differentiate(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> outputGradients,
        IReadOnlyList<Tensor> inputs, bool createGraph, bool? retainGraph = null)
    {
        var recorded = Enumerable.Range(0, outputs.Count).Where(o => outputs[o].requires_grad).ToArray();
        var wanted = Enumerable.Range(0, inputs.Count).Where(i => inputs[i].requires_grad).ToArray();
        var gradients = new Tensor?[inputs.Count];
        if (recorded.Length == 0 || wanted.Length == 0) return gradients;
        var found = torch.autograd.grad(recorded.Select(o => outputs[o]).ToArray(), wanted.Select(i => inputs[i]).ToArray(),
            recorded.Select(o => outputGradients[o]).ToArray(), retain_graph: retainGraph ?? createGraph, create_graph: createGraph,
            allow_unused: true);
        for (int k = 0; k < wanted.Length; k++)
            gradients[wanted[k]] = found[k] is { IsInvalid: false } gradient ? gradient : null;
        return gradients;
    }

    /// <summary>
    /// A copy of each tensor cut from its history: a leaf that requires a gradient where the tensor does. Autograd asked
    /// for the gradient of a leaf stops there; asked for a tensor with a history, it goes on through it to every other
    /// tensor asked for, which counts twice the paths that the outer backward walks too.
    /// </summary>
    public static Tensor[] Leaves(IEnumerable<Tensor> tensors) => tensors.Select(t => t.detach().requires_grad_(t.requires_grad)).ToArray();

    /// <summary>
    /// The gradients of <paramref name="leaves"/> (the <see cref="Leaves"/> of <paramref name="originals"/>) and then of
    /// <paramref name="parameters"/> (leaf tensors) of <paramref name="outputs"/>, which autograd recorded on them, given
    /// the outputs' gradients. In a backward that builds a graph (<paramref name="higherOrder"/>) they are recorded on
    /// leaves of the outputs' gradients too and <see cref="Reattach"/>ed to the originals and the outputs' gradients, so
    /// that they can be differentiated again; autograd never walks the originals' history from here.
    /// </summary>
    public static Tensor?[] DifferentiateOnLeaves(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> outputGradients,
        IReadOnlyList<Tensor> originals, IReadOnlyList<Tensor> leaves, IReadOnlyList<Tensor> parameters, bool higherOrder,
        bool? retainGraph = null)
    {
        var given = higherOrder ? Leaves(outputGradients) : outputGradients.ToArray();
        var found = Differentiate(outputs, given, leaves.Concat(parameters).ToArray(), higherOrder, retainGraph);
        return higherOrder
            ? Reattach(originals.Concat(outputGradients).ToArray(), leaves.Concat(given).ToArray(), parameters, found)
            : found;
    }

    /// <summary>
    /// <paramref name="expressions"/>, recorded by autograd on <paramref name="leaves"/> (the <see cref="Leaves"/> of
    /// <paramref name="originals"/>, one each) and <paramref name="parameters"/> (leaf tensors, used as they are), connected
    /// back to the originals: the same values, and differentiated again, a leaf's uses count as uses of its original, whose
    /// own history autograd then follows. Null expressions stay null. A backward that builds a graph differentiates a
    /// recomputed body this way (<c>Recomputation</c>): on views of the saved inputs instead of leaves, autograd.grad with
    /// respect to a parameter would also count the paths through the inputs' history, which the outer backward counts again.
    /// </summary>
    public static Tensor?[] Reattach(IReadOnlyList<Tensor> originals, IReadOnlyList<Tensor> leaves, IReadOnlyList<Tensor> parameters,
        IReadOnlyList<Tensor?> expressions)
    {
        var present = Enumerable.Range(0, expressions.Count).Where(k => expressions[k] is not null).ToArray();
        var result = expressions.ToArray();
        if (present.Length == 0) return result;
        var arguments = new object[] { (originals.Count, parameters.Count) }.Concat(originals).Concat(leaves).Concat(parameters)
            .Concat(present.Select(k => expressions[k]!));
        var outputs = Record(() => ReattachFunction.apply(arguments.ToArray()));
        for (int j = 0; j < present.Length; j++) result[present[j]] = outputs[j];
        return result;
    }

    /// <summary>
    /// The node of <see cref="Reattach"/>. Arguments: the counts, the originals, the leaves, the parameters, the expressions.
    /// Its outputs are copies of the expressions. Backward, the expressions are differentiated with respect to the leaves
    /// and the parameters, and the leaves' gradients go to the originals; the engine never walks the expressions' own
    /// graph, whose gradients would be expressions in the leaves again. In a backward that builds a graph, those gradients
    /// are computed on leaves of the outputs' gradients too and reattached in turn, so any order of derivative works.
    /// </summary>
    private sealed class ReattachFunction : torch.autograd.MultiTensorFunction<ReattachFunction>
    {
        private const string CountsKey = "counts";

        public override string Name => "PrLstmReattach";

        public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
        {
            var (originals, parameters) = ((int, int))vars[0];
            var tensors = vars.Skip(1).Cast<Tensor>().ToArray();
            ctx.save_for_backward(tensors.ToList());
            ctx.save_data(CountsKey, (originals, parameters));
            return Forwarded(ctx, tensors[(2 * originals + parameters)..].Select(e => e.clone()).ToArray());
        }

        public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs) =>
            Backward(ctx, grad_outputs, (saved, outputGradients) =>
            {
                try
                {
                    return Gradients(ctx, saved, outputGradients);
                }
                catch (Exception e)
                {
                    // An exception cannot cross back into libtorch's engine: the process ends. Say why first.
                    Console.Error.WriteLine($"PrLstm: differentiating the gradients of a recomputed call (create_graph) failed: {e}");
                    throw;
                }
            });

        /// <summary>A gradient per forward argument: none for the counts, the leaves and the expressions.</summary>
        private static Tensor?[] Gradients(torch.autograd.AutogradContext ctx, IReadOnlyList<Tensor> saved,
            IReadOnlyList<Tensor> outputGradients)
        {
            var (count, parameterCount) = ((int, int))ctx.get_data(CountsKey);
            var originals = saved.Take(count).ToArray();
            var leaves = saved.Skip(count).Take(count).ToArray();
            var parameters = saved.Skip(2 * count).Take(parameterCount).ToArray();
            var expressions = saved.Skip(2 * count + parameterCount).ToArray();
            using var scope = NewDisposeScope();
            // The expressions' graph stays for a later backward through this node (a retained graph).
            var found = DifferentiateOnLeaves(expressions, outputGradients, originals, leaves, parameters, is_grad_enabled(),
                retainGraph: true);
            var gradients = new Tensor?[] { null }.Concat(found.Take(count)).Concat(new Tensor?[count]).Concat(found.Skip(count))
                .Concat(new Tensor?[expressions.Length]).ToArray();
            foreach (Tensor? gradient in gradients) gradient?.MoveToOuterDisposeScope();
            return gradients;
        }
    }

    /// <summary>
    /// TorchSharp 0.107's custom autograd node allocates, per output, a tensor of the output's size that it keeps until
    /// the graph is freed, only to read its shape (zeros_like) when an output's gradient never arrives. Each is replaced
    /// by a one-value tensor expanded to that shape, so a training step holds only what the functions save. Found by
    /// reflection on TorchSharp's private fields; where they are not found (another TorchSharp version), nothing changes.
    /// </summary>
    private static class OutputCache
    {
        private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
        private static readonly FieldInfo? NodeOfContext = typeof(torch.autograd.AutogradContext).GetField("_node", Private);

        public static void Release(torch.autograd.AutogradContext? context)
        {
            object? node = context is null ? null : NodeOfContext?.GetValue(context);
            if (node is null) return;
            // One node type per function (Node<TFunction>), so the field is looked up on the node's own type.
            if (node.GetType().GetField("_outputCache", Private)?.GetValue(node) is not List<Tensor> cache) return;
            for (int i = 0; i < cache.Count; i++)
            {
                if (cache[i] is not { IsInvalid: false } full) continue;
                using (var scope = NewDisposeScope())
                {
                    using var one = zeros(1, full.dtype, full.device);
                    cache[i] = scope.Detach(one.expand(full.shape)); // the node disposes it, as it did the full one
                }
                full.Dispose();
            }
        }
    }
}
