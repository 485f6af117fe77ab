using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>Prints a state's nested <c>Tensors</c> record: one tensor per field, plus the scan's time-axis operations.</summary>
    internal sealed class StatePrinter
    {
        private const string Generic = "global::System.Collections.Generic.";
        private const string Record = Names.TensorsRecord;

        private readonly StateSpec _state;
        private readonly SourceWriter _w;
        private readonly NameScope _scope;
        private readonly string _torch;
        private readonly List<string> _fieldNames;

        /// <summary>The fields as C# source (keywords escaped).</summary>
        private readonly List<string> _fields;

        private StatePrinter(StateSpec state)
        {
            _state = state;
            _fieldNames = state.Fields.Select(f => f.Name).ToList();
            _fields = _fieldNames.Select(Names.Identifier).ToList();
            _scope = new NameScope(state.ScopeNames.Concat(_fieldNames).Concat(TensorsApi.Names).Concat(new[] { state.Type.Name }));
            _torch = _scope.Claim("torch");
            _w = FileHeader.Begin(state.Type, $"Tensor form of the PrLstm state {state.Type.Name}.", new[] { (_torch, "global::TorchSharp.torch") });
        }

        public static string Print(StateSpec state) => new StatePrinter(state).Print();

        private string Print()
        {
            _w.Open(FileHeader.PartialDeclaration(_state.Type));
            WriteDeclaration();
            WriteTimeAxis();
            WriteInterleave();
            WriteConcat();
            WriteFieldLists();
            WriteScopes();
            _w.Close();
            _w.Close();
            return FileHeader.End(_state.Type, _w);
        }

        /// <summary>One doc per field: <c>new(h.f(), c.f())</c>, broken over lines when long.</summary>
        private Doc New(System.Func<string, int, string> field) => new CallDoc(null, "new", _fields.Select((f, k) => (Doc)new Text(field(f, k))).ToList());

        private void WriteDeclaration()
        {
            _w.Line("/// <summary>");
            _w.Comment($"The tensors of a batch of <see cref=\"{_state.Type.Name}\"/> states: each field is <c>[B, T, size]</c> for T positions "
                + "(or <c>[B, size]</c> for one state per sequence). Sizes: " + string.Join(", ", _state.Fields.Select(f => $"{f.Name}: {f.Size}")) + ".", "///");
            _w.Line("/// </summary>");
            _w.Line(FileHeader.GeneratedCodeAttribute);
            DocWriter.Write(_w, $"public readonly record struct {Record}", new CallDoc(null, "", _fields.Select(f => (Doc)new Text($"{_torch}.Tensor {f}")).ToList()), "");
            _w.Open($"    : global::PrLstm.Runtime.Schedule.ITensorState<{Record}>");
        }

        private void WriteTimeAxis()
        {
            string start = _scope.Claim("start"), stop = _scope.Claim("stop"), step = _scope.Claim("step");
            _w.Summary("Number of positions on the time axis (dimension 1).");
            _w.Line($"public long Length => {_fields[0]}.shape[1];");
            _w.Line();
            _w.Summary("Bytes of one position across the batch and the fields in CPU memory (0 elsewhere): the schedules split large CPU calls by it.");
            DocWriter.Write(_w, "public long CpuBytesPerPosition => ",
                new CallDoc(null, "global::PrLstm.Runtime.Schedule.CpuSplit.CpuBytesPerPosition", _fields.Select(f => (Doc)new Text(f)).ToList()), ";");
            _w.Line();
            _w.Summary("Positions <c>start, start + step, ...</c> below <c>stop</c> of every field (views, no copy).");
            _w.Line($"public {Record} Slice(long {start}, long {stop}, long {step}) =>");
            DocWriter.Write(_w, "    ", New((f, _) => $"{f}.slice(1, {start}, {stop}, {step})"), ";");
            _w.Line();
            _w.Summary("Drops the time axis of a one-position state: <c>[B, 1, size]</c> to <c>[B, size]</c>.");
            DocWriter.Write(_w, $"public {Record} SqueezeTime() => ", New((f, _) => $"{f}.squeeze(1)"), ";");
            _w.Line();
        }

        private void WriteInterleave()
        {
            string even = _scope.Claim("evenParts"), odd = _scope.Claim("odd");
            _w.Summary("Interleaves states on the time axis: result[2k] = even[k], result[2k + 1] = odd[k], where even is the parts one after the other.");
            _w.Open($"public static {Record} Interleave({Generic}IReadOnlyList<{Record}> {even}, {Record} {odd})");
            var arrays = WriteFieldArrays(even);
            DocWriter.Write(_w, "return ", New((f, k) => $"global::PrLstm.Runtime.Schedule.TimeAxis.Interleave({arrays[k]}, {odd}.{f})"), ";");
            _w.Close();
            _w.Line();
        }

        private void WriteConcat()
        {
            string parts = _scope.Claim("parts");
            _w.Summary("The parts one after the other on the time axis.");
            _w.Open($"public static {Record} Concat({Generic}IReadOnlyList<{Record}> {parts})");
            var arrays = WriteFieldArrays(parts);
            DocWriter.Write(_w, "return ", New((_, k) => $"{_torch}.cat({arrays[k]}, 1)"), ";");
            _w.Close();
            _w.Line();
        }

        /// <summary>One tensor array per field, gathered from the list of states named <paramref name="from"/>; their names.</summary>
        private List<string> WriteFieldArrays(string from)
        {
            var method = _scope.Nested();
            string i = method.Claim("i");
            var arrays = _fieldNames.Select(f => method.Claim($"{f}Parts")).ToList();
            foreach (string array in arrays)
                _w.Line($"var {array} = new {_torch}.Tensor[{from}.Count];");
            _w.Open("for (int " + i + " = 0; " + i + " < " + from + ".Count; " + i + "++)");
            for (int k = 0; k < arrays.Count; k++)
                _w.Line($"{arrays[k]}[{i}] = {from}[{i}].{_fields[k]};");
            _w.Close();
            return arrays;
        }

        private void WriteFieldLists()
        {
            string fields = _scope.Claim("fields");
            _w.Summary("The fields' names, in declaration order.");
            DocWriter.Write(_w, $"public static {Generic}IReadOnlyList<string> FieldNames {{ get; }} = ",
                new ArrayDoc("new[]", _fieldNames.Select(f => (Doc)new Text($"\"{f}\"")).ToList()), ";");
            _w.Line();
            _w.Summary("The fields' tensors, in declaration order.");
            DocWriter.Write(_w, $"public {Generic}IReadOnlyList<{_torch}.Tensor> Fields => ", new ArrayDoc("new[]", _fields.Select(f => (Doc)new Text(f)).ToList()), ";");
            _w.Line();
            _w.Summary("A state from its fields' tensors, in declaration order.");
            _w.Line($"public static {Record} FromFields({Generic}IReadOnlyList<{_torch}.Tensor> {fields}) =>");
            DocWriter.Write(_w, "    ", New((_, k) => $"{fields}[{k}]"), ";");
            _w.Line();
        }

        private void WriteScopes()
        {
            _w.Summary("Takes every field out of its dispose scope: the caller owns the tensors.");
            DocWriter.Write(_w, $"public {Record} DetachFromDisposeScope() => ", New((f, _) => $"{f}.DetachFromDisposeScope()"), ";");
            _w.Line();
            _w.Summary("Moves every field to the enclosing dispose scope.");
            DocWriter.Write(_w, $"public {Record} MoveToOuterDisposeScope() => ", New((f, _) => $"{f}.MoveToOuterDisposeScope()"), ";");
            _w.Line();
            _w.Summary("Disposes every field (" + string.Join(", ", _fieldNames) + ").");
            _w.Open("public void Dispose()");
            foreach (string f in _fields)
                _w.Line($"{f}.Dispose();");
            _w.Close();
        }
    }
}
