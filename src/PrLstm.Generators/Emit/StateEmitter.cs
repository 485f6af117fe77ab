using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>Emits a state's nested <c>Tensors</c> record: one tensor per field, plus the scan's time-axis operations.</summary>
    internal static class StateEmitter
    {
        public static string Emit(StateSpec state)
        {
            var w = FileHeader.Begin(state.Type, "Tensor form of the PrLstm state " + state.Type.Name + ".");
            string fields = string.Join(", ", state.Fields.Select(f => f.Name));
            w.Open(FileHeader.PartialDeclaration(state.Type));
            w.Line("/// <summary>");
            w.Line("/// The tensors of a batch of <see cref=\"" + state.Type.Name + "\"/> states: each field is <c>[B, T, size]</c> for T positions");
            w.Line("/// (or <c>[B, size]</c> for one state per sequence). Sizes: " + string.Join(", ", state.Fields.Select(f => f.Name + ": " + f.Size)) + ".");
            w.Line("/// </summary>");
            w.Line(FileHeader.GeneratedCodeAttribute);
            w.Line("public readonly record struct Tensors(" + string.Join(", ", state.Fields.Select(f => "torch.Tensor " + f.Name)) + ")");
            w.Open("    : global::PrLstm.Runtime.Schedule.ITensorState<Tensors>");
            w.Line("/// <summary>Number of positions on the time axis (dimension 1).</summary>");
            w.Line("public long Length => " + state.Fields[0].Name + ".shape[1];");
            w.Line();
            w.Line("/// <summary>Bytes of one position across the batch and the fields in CPU memory (0 elsewhere): the schedules split large CPU calls by it.</summary>");
            w.Line("public long CpuBytesPerPosition => global::PrLstm.Runtime.Schedule.CpuSplit.CpuBytesPerPosition(" + fields + ");");
            w.Line();
            w.Line("/// <summary>Positions <c>start, start + step, ...</c> below <c>stop</c> of every field (views, no copy).</summary>");
            w.Line("public Tensors Slice(long start, long stop, long step) =>");
            w.Line("    new(" + string.Join(", ", state.Fields.Select(f => f.Name + ".slice(1, start, stop, step)")) + ");");
            w.Line();
            w.Line("/// <summary>Interleaves states on the time axis: result[2k] = even[k], result[2k + 1] = odd[k], where even is the parts one after the other.</summary>");
            w.Open("public static Tensors Interleave(global::System.Collections.Generic.IReadOnlyList<Tensors> evenParts, Tensors odd)");
            FieldArrays("evenParts");
            w.Line("return new(" + string.Join(", ", state.Fields.Select(f => "global::PrLstm.Runtime.Schedule.TimeAxis.Interleave(" + f.Name + ", odd." + f.Name + ")")) + ");");
            w.Close();
            w.Line();
            w.Line("/// <summary>The parts one after the other on the time axis.</summary>");
            w.Open("public static Tensors Concat(global::System.Collections.Generic.IReadOnlyList<Tensors> parts)");
            FieldArrays("parts");
            w.Line("return new(" + string.Join(", ", state.Fields.Select(f => "torch.cat(" + f.Name + ", 1)")) + ");");
            w.Close();
            w.Line();
            w.Line("/// <summary>Drops the time axis of a one-position state: <c>[B, 1, size]</c> to <c>[B, size]</c>.</summary>");
            w.Line("public Tensors SqueezeTime() => new(" + string.Join(", ", state.Fields.Select(f => f.Name + ".squeeze(1)")) + ");");
            w.Line();
            w.Line("/// <summary>The fields' names, in declaration order.</summary>");
            w.Line("public static global::System.Collections.Generic.IReadOnlyList<string> FieldNames { get; } = new[] { "
                + string.Join(", ", state.Fields.Select(f => "\"" + f.Name + "\"")) + " };");
            w.Line();
            w.Line("/// <summary>The fields' tensors, in declaration order.</summary>");
            w.Line("public global::System.Collections.Generic.IReadOnlyList<torch.Tensor> Fields => new[] { " + fields + " };");
            w.Line();
            w.Line("/// <summary>A state from its fields' tensors, in declaration order.</summary>");
            w.Line("public static Tensors FromFields(global::System.Collections.Generic.IReadOnlyList<torch.Tensor> fields) =>");
            w.Line("    new(" + string.Join(", ", state.Fields.Select((f, i) => "fields[" + i + "]")) + ");");
            w.Line();
            w.Line("/// <summary>Takes every field out of its dispose scope: the caller owns the tensors.</summary>");
            w.Line("public Tensors DetachFromDisposeScope() => new(" + string.Join(", ", state.Fields.Select(f => f.Name + ".DetachFromDisposeScope()")) + ");");
            w.Line();
            w.Line("/// <summary>Moves every field to the enclosing dispose scope.</summary>");
            w.Line("public Tensors MoveToOuterDisposeScope() => new(" + string.Join(", ", state.Fields.Select(f => f.Name + ".MoveToOuterDisposeScope()")) + ");");
            w.Line();
            w.Line("/// <summary>Disposes every field (" + fields + ").</summary>");
            w.Open("public void Dispose()");
            foreach (var f in state.Fields)
                w.Line(f.Name + ".Dispose();");
            w.Close();
            w.Close();
            w.Close();
            return FileHeader.End(state.Type, w);

            // One tensor array per field, named after it, gathered from the list of states named <list>.
            void FieldArrays(string list)
            {
                foreach (var f in state.Fields)
                    w.Line("var " + f.Name + " = new torch.Tensor[" + list + ".Count];");
                w.Open("for (int i = 0; i < " + list + ".Count; i++)");
                foreach (var f in state.Fields)
                    w.Line(f.Name + "[i] = " + list + "[i]." + f.Name + ";");
                w.Close();
            }
        }
    }
}
