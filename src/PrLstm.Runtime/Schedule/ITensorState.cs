using static TorchSharp.torch;

namespace PrLstm.Runtime.Schedule;

/// <summary>
/// A scan state made of tensors <c>[B, T, size]</c>, one per declared field: what generated <c>State.Tensors</c>
/// records implement. They expose their fields; the time-axis operations the schedules need (length, slices,
/// interleaving, concatenation) are implemented here once, over the fields, so runtime code can also hold, save and
/// restore states without knowing them (<see cref="Modules.ModelStream{TState}"/>).
/// </summary>
public interface ITensorState<TSelf> : IScanState<TSelf>, IDisposable where TSelf : ITensorState<TSelf>
{
    /// <summary>The fields' names, in declaration order.</summary>
    static abstract IReadOnlyList<string> FieldNames { get; }

    /// <summary>The fields' tensors, in declaration order.</summary>
    IReadOnlyList<Tensor> Fields { get; }

    /// <summary>A state from its fields' tensors, in declaration order.</summary>
    static abstract TSelf FromFields(IReadOnlyList<Tensor> fields);

    /// <summary>Drops the time axis of a one-position state: fields <c>[B, 1, size]</c> to <c>[B, size]</c> (views).</summary>
    TSelf SqueezeTime();

    /// <summary>Takes every field out of its dispose scope: the caller now owns the tensors and disposes them.</summary>
    TSelf DetachFromDisposeScope();

    /// <summary>Number of positions on the time axis (dimension 1 of every field).</summary>
    long IScanState<TSelf>.Length => Fields[0].size(1);

    /// <summary>
    /// Positions <c>start, start + step, ...</c> below <c>stop</c> of every field (views, no copy). All of them as an alias:
    /// its backward passes the gradient on, where a slice's fills a zero tensor of the field's size and copies into it.
    /// </summary>
    TSelf IScanState<TSelf>.Slice(long start, long stop, long step) =>
        TSelf.FromFields(Fields.Select(field => start == 0 && step == 1 && stop >= field.size(1)
            ? field.alias()
            : field.slice(1, start, stop, step)).ToArray());

    /// <summary>
    /// The first n pairs of every field as two views of one split (<c>[B, 2n, ...]</c> to <c>[B, n, 2, ...]</c>, then unbind):
    /// the backward writes both halves' gradients into the field's in one pass, where two strided slices would each fill
    /// a zero tensor of the field's size and then be added.
    /// </summary>
    (TSelf Left, TSelf Right) IScanState<TSelf>.Pairs(long n)
    {
        var fields = Fields;
        var left = new Tensor[fields.Count];
        var right = new Tensor[fields.Count];
        for (int f = 0; f < fields.Count; f++)
        {
            Tensor field = fields[f];
            long length = field.size(1);
            if (n < 0 || 2 * n > length)
                throw new ArgumentOutOfRangeException(nameof(n), $"{n} pairs need {2 * n} positions; the state has {length}.");
            // A split rather than a slice for the leading 2n: its backward is one join, not a zero tensor and a copy.
            Tensor leading = 2 * n == length ? field : field.split([2 * n, length - 2 * n], 1)[0];
            var halves = leading.unflatten(1, [n, 2]).unbind(2);
            (left[f], right[f]) = (halves[0], halves[1]);
        }
        return (TSelf.FromFields(left), TSelf.FromFields(right));
    }

    /// <summary>The given positions of every field, in that order.</summary>
    TSelf IScanState<TSelf>.Select(IReadOnlyList<long> positions)
        => TSelf.FromFields(Fields.Select(field => TimeAxis.Select(field, positions)).ToArray());

    /// <summary>result[2k] = even[k], result[2k + 1] = odd[k] for every field (<see cref="TimeAxis.Interleave"/>).</summary>
    static TSelf IScanState<TSelf>.Interleave(IReadOnlyList<TSelf> evenParts, TSelf odd)
    {
        var oddFields = odd.Fields;
        var fields = new Tensor[oddFields.Count];
        for (int f = 0; f < fields.Length; f++)
            fields[f] = TimeAxis.Interleave(evenParts.Select(part => part.Fields[f]).ToArray(), oddFields[f]);
        return TSelf.FromFields(fields);
    }

    /// <summary>The parts one after the other on the time axis, field by field.</summary>
    static TSelf IScanState<TSelf>.Concat(IReadOnlyList<TSelf> parts)
    {
        int count = parts[0].Fields.Count;
        var fields = new Tensor[count];
        for (int f = 0; f < count; f++)
            fields[f] = cat(parts.Select(part => part.Fields[f]).ToArray(), 1);
        return TSelf.FromFields(fields);
    }
}
