using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>Prints a state's nested <c>Tensors</c> record: one tensor per field, plus the scan's time-axis operations.</summary>
    internal static class StatePrinter
    {
        public static string Print(StateSpec state)
        {
            var fieldNames = state.Fields.Select(f => f.Name).ToList();
            var scope = new NameScope(state.ScopeNames.Concat(fieldNames).Concat(TensorsApi.Names).Concat(new[] { state.Type.Name }));
            string torch = scope.Claim("torch"), list = scope.Claim("parts"), even = scope.Claim("evenParts"), odd = scope.Claim("odd");
            string i = scope.Claim("i"), fields = scope.Claim("fields"), start = scope.Claim("start"), stop = scope.Claim("stop"), step = scope.Claim("step");
            string generic = "global::System.Collections.Generic.";
            var names = fieldNames.Select(Names.Identifier).ToList();

            var w = FileHeader.Begin(state.Type, "Tensor form of the PrLstm state " + state.Type.Name + ".", new[] { (torch, "global::TorchSharp.torch") });
            w.Open(FileHeader.PartialDeclaration(state.Type));
            w.Line("/// <summary>");
            w.Comment("The tensors of a batch of <see cref=\"" + state.Type.Name + "\"/> states: each field is <c>[B, T, size]</c> for T positions "
                + "(or <c>[B, size]</c> for one state per sequence). Sizes: " + string.Join(", ", state.Fields.Select(f => f.Name + ": " + f.Size)) + ".", "///");
            w.Line("/// </summary>");
            w.Line(FileHeader.GeneratedCodeAttribute);
            DocWriter.Write(w, "public readonly record struct " + Names.TensorsRecord, new CallDoc(null, "", names.Select(n => (Doc)new Text(torch + ".Tensor " + n)).ToList()), "");
            w.Open("    : global::PrLstm.Runtime.Schedule.ITensorState<" + Names.TensorsRecord + ">");
            w.Summary("Number of positions on the time axis (dimension 1).");
            w.Line("public long Length => " + names[0] + ".shape[1];");
            w.Line();
            w.Summary("Bytes of one position across the batch and the fields in CPU memory (0 elsewhere): the schedules split large CPU calls by it.");
            DocWriter.Write(w, "public long CpuBytesPerPosition => ",
                new CallDoc(null, "global::PrLstm.Runtime.Schedule.CpuSplit.CpuBytesPerPosition", names.Select(n => (Doc)new Text(n)).ToList()), ";");
            w.Line();
            w.Summary("Positions <c>start, start + step, ...</c> below <c>stop</c> of every field (views, no copy).");
            w.Line("public " + Names.TensorsRecord + " Slice(long " + start + ", long " + stop + ", long " + step + ") =>");
            DocWriter.Write(w, "    ", new CallDoc(null, "new", names.Select(n => (Doc)new Text(n + ".slice(1, " + start + ", " + stop + ", " + step + ")")).ToList()), ";");
            w.Line();
            w.Summary("Interleaves states on the time axis: result[2k] = even[k], result[2k + 1] = odd[k], where even is the parts one after the other.");
            w.Open("public static " + Names.TensorsRecord + " Interleave(" + generic + "IReadOnlyList<" + Names.TensorsRecord + "> " + even + ", " + Names.TensorsRecord + " " + odd + ")");
            var arrays = FieldArrays(even);
            DocWriter.Write(w, "return ", new CallDoc(null, "new", names.Select((n, k) => (Doc)new Text("global::PrLstm.Runtime.Schedule.TimeAxis.Interleave(" + arrays[k] + ", " + odd + "." + n + ")")).ToList()), ";");
            w.Close();
            w.Line();
            w.Summary("The parts one after the other on the time axis.");
            w.Open("public static " + Names.TensorsRecord + " Concat(" + generic + "IReadOnlyList<" + Names.TensorsRecord + "> " + list + ")");
            arrays = FieldArrays(list);
            DocWriter.Write(w, "return ", new CallDoc(null, "new", arrays.Select(a => (Doc)new Text(torch + ".cat(" + a + ", 1)")).ToList()), ";");
            w.Close();
            w.Line();
            w.Summary("Drops the time axis of a one-position state: <c>[B, 1, size]</c> to <c>[B, size]</c>.");
            DocWriter.Write(w, "public " + Names.TensorsRecord + " SqueezeTime() => ", new CallDoc(null, "new", names.Select(n => (Doc)new Text(n + ".squeeze(1)")).ToList()), ";");
            w.Line();
            w.Summary("The fields' names, in declaration order.");
            DocWriter.Write(w, "public static " + generic + "IReadOnlyList<string> FieldNames { get; } = ",
                new ArrayDoc("new[]", fieldNames.Select(f => (Doc)new Text("\"" + f + "\"")).ToList()), ";");
            w.Line();
            w.Summary("The fields' tensors, in declaration order.");
            DocWriter.Write(w, "public " + generic + "IReadOnlyList<" + torch + ".Tensor> Fields => ", new ArrayDoc("new[]", names.Select(n => (Doc)new Text(n)).ToList()), ";");
            w.Line();
            w.Summary("A state from its fields' tensors, in declaration order.");
            w.Line("public static " + Names.TensorsRecord + " FromFields(" + generic + "IReadOnlyList<" + torch + ".Tensor> " + fields + ") =>");
            DocWriter.Write(w, "    ", new CallDoc(null, "new", names.Select((n, k) => (Doc)new Text(fields + "[" + k + "]")).ToList()), ";");
            w.Line();
            w.Summary("Takes every field out of its dispose scope: the caller owns the tensors.");
            DocWriter.Write(w, "public " + Names.TensorsRecord + " DetachFromDisposeScope() => ", new CallDoc(null, "new", names.Select(n => (Doc)new Text(n + ".DetachFromDisposeScope()")).ToList()), ";");
            w.Line();
            w.Summary("Moves every field to the enclosing dispose scope.");
            DocWriter.Write(w, "public " + Names.TensorsRecord + " MoveToOuterDisposeScope() => ", new CallDoc(null, "new", names.Select(n => (Doc)new Text(n + ".MoveToOuterDisposeScope()")).ToList()), ";");
            w.Line();
            w.Summary("Disposes every field (" + string.Join(", ", fieldNames) + ").");
            w.Open("public void Dispose()");
            foreach (string n in names)
                w.Line(n + ".Dispose();");
            w.Close();
            w.Close();
            w.Close();
            return FileHeader.End(state.Type, w);

            // One tensor array per field, gathered from the list of states named <from>; returns the arrays' names.
            System.Collections.Generic.List<string> FieldArrays(string from)
            {
                var locals = fieldNames.Select(f => scope.Nested().Claim(f + "Parts")).ToList();
                for (int k = 0; k < names.Count; k++)
                    w.Line("var " + locals[k] + " = new " + torch + ".Tensor[" + from + ".Count];");
                w.Open("for (int " + i + " = 0; " + i + " < " + from + ".Count; " + i + "++)");
                for (int k = 0; k < names.Count; k++)
                    w.Line(locals[k] + "[" + i + "] = " + from + "[" + i + "]." + names[k] + ";");
                w.Close();
                return locals;
            }
        }
    }
}
