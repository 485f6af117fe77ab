using PrLstm.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// Gradient checkpointing for one call of a combine or of the token encoder (<see cref="ScanOptions.RecomputeInBackward"/>):
/// the call runs without recording and keeps only its operands; when the backward reaches it, it runs again with a
/// gradient and is differentiated there. Memory then holds each call's operands and outputs (the states of the scan)
/// instead of its gates and activations; the price is a second forward of every call.
/// </summary>
public static class Recomputation
{
    /// <summary>
    /// <paramref name="body"/>'s outputs on <paramref name="inputs"/>, recomputed in the backward when a gradient is
    /// recorded (grad mode on, and an input or one of <paramref name="parameters"/> requires one); otherwise a plain call.
    /// <paramref name="parameters"/> are every tensor the body reads besides its inputs that may need a gradient (a
    /// module's parameters), leaf tensors: their gradients flow through autograd as the inputs' do, so <c>backward()</c>
    /// and <c>autograd.grad</c> both see them, at any order (<c>create_graph</c>). The body must compute the same values
    /// each time it runs (no dropout).
    /// </summary>
    public static Tensor[] Run(Func<Tensor[], IReadOnlyList<Tensor>> body, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> parameters)
    {
        if (!is_grad_enabled() || !inputs.Concat(parameters).Any(t => t.requires_grad))
            return body(inputs.ToArray()).ToArray();
        for (int p = 0; p < parameters.Count; p++)
            if (parameters[p].requires_grad && !parameters[p].is_leaf)
                throw new ArgumentException($"parameter {p} of a recomputed call has a history (it was computed from other tensors): "
                    + "parameters must be leaf tensors such as a module's parameters; pass a computed tensor as an input.",
                    nameof(parameters));
        var call = new Call(body, inputs.Count);
        return CustomNodes.Record(() => RecomputeFunction.apply(new object[] { call }.Concat(inputs).Concat(parameters).ToArray()));
    }

    /// <summary>A combine's call on two states, recomputed as <see cref="Run"/> says.</summary>
    internal static TState Combine<TState, TCombine>(TCombine combine, TState left, TState right, IReadOnlyList<Tensor> parameters)
        where TState : ITensorState<TState>
        where TCombine : IScanCombine<TState>
    {
        int leftFields = left.Fields.Count;
        var outputs = Run(
            fields => combine.Combine(TState.FromFields(fields[..leftFields]), TState.FromFields(fields[leftFields..])).Fields,
            left.Fields.Concat(right.Fields).ToArray(), parameters);
        return TState.FromFields(outputs);
    }

    private sealed record Call(Func<Tensor[], IReadOnlyList<Tensor>> Body, int Inputs);

    private sealed class RecomputeFunction : torch.autograd.MultiTensorFunction<RecomputeFunction>
    {
        private const string CallKey = "call";

        public override string Name => "PrLstmRecompute";

        public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
        {
            var call = (Call)vars[0];
            var tensors = vars.Skip(1).Cast<Tensor>().ToArray();
            ctx.save_for_backward(tensors.ToList());
            ctx.save_data(CallKey, call);
            var inputs = tensors[..call.Inputs];
            // The body's temporaries go here: CustomNodes.Record leaves every other handle made inside apply to the node.
            using var scope = NewDisposeScope();
            // An output that is an input passed through gets its own tensor: a node's outputs are new tensors.
            var outputs = call.Body(inputs).Select(o => inputs.Any(i => ReferenceEquals(i, o)) ? o.clone() : o).ToArray();
            scope.MoveToOuter(outputs);
            return CustomNodes.Forwarded(ctx, outputs);
        }

        public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs) =>
            CustomNodes.Backward(ctx, grad_outputs, (saved, outputGradients) =>
            {
                try
                {
                    return Gradients((Call)ctx.get_data(CallKey), saved, outputGradients);
                }
                catch (Exception e)
                {
                    // An exception cannot cross back into libtorch's engine: the process ends. Say why first.
                    Console.Error.WriteLine($"PrLstm: recomputing a call in the backward (ScanOptions.RecomputeInBackward) failed: {e}");
                    throw;
                }
            });

        /// <summary>The call run again with a gradient, differentiated: a gradient per forward argument (the call first).</summary>
        private static Tensor?[] Gradients(Call call, IReadOnlyList<Tensor> saved, IReadOnlyList<Tensor> outputGradients)
        {
            // The body runs again on leaves cut from the saved inputs, so that autograd does not walk the graph below them,
            // and reads the modules' own parameters. In a backward that builds a graph (create_graph: grad mode is on) the
            // gradients, the parameters' too, are recorded on leaves of the outputs' gradients as well, and reattached to
            // the saved inputs and the outputs' gradients, so that they can be differentiated again.
            bool higherOrder = is_grad_enabled();
            using var scope = NewDisposeScope();
            using var gradMode = enable_grad();
            var inputs = saved.Take(call.Inputs).ToArray();
            var parameters = saved.Skip(call.Inputs).ToArray();
            var leaves = CustomNodes.Leaves(inputs);
            var outputs = call.Body(leaves).ToArray();
            var gradients = CustomNodes.DifferentiateOnLeaves(outputs, outputGradients, inputs, leaves, parameters, higherOrder);
            foreach (Tensor? gradient in gradients) gradient?.MoveToOuterDisposeScope();
            return gradients.Prepend((Tensor?)null).ToArray();
        }
    }
}
