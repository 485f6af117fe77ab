using System.Collections.Generic;
using System.Linq;
using PrLstm.Generators.Model;

namespace PrLstm.Generators.Emit
{
    /// <summary>
    /// Prints a state's nested <c>Tensors</c> record: one tensor per field, exposed as a list; the time-axis operations
    /// the schedules need are the runtime's, over that list (<c>ITensorState</c>).
    /// </summary>
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
            _w = FileHeader.Begin(state.Type, $"Tensor form of the PrLstm state {state.Type.Name}.",
                new[] { (_torch, "global::TorchSharp.torch") });
        }

        public static string Print(StateSpec state) => new StatePrinter(state).Print();

        private string Print()
        {
            _w.Open(FileHeader.PartialDeclaration(_state.Type));
            WriteDeclaration();
            WriteFieldLists();
            WriteSqueezeTime();
            WriteScopes();
            _w.Close();
            _w.Close();
            return FileHeader.End(_state.Type, _w);
        }

        /// <summary>One doc per field: <c>new(h.f(), c.f())</c>, broken over lines when long.</summary>
        private Doc New(System.Func<string, int, string> field)
            => new CallDoc(null, "new", _fields.Select((f, k) => (Doc)new Text(field(f, k))).ToList());

        private void WriteDeclaration()
        {
            _w.Line("/// <summary>");
            _w.Comment($"The tensors of a batch of <see cref=\"{_state.Type.Name}\"/> states: each field is <c>[B, T, size]</c> for T "
                + $"positions "
                + "(or <c>[B, size]</c> for one state per sequence). Sizes: "
                    + string.Join(", ", _state.Fields.Select(f => $"{f.Name}: {f.Size}")) + ".", "///");
            _w.Line("/// </summary>");
            _w.Line(FileHeader.GeneratedCodeAttribute);
            DocWriter.Write(_w, $"public readonly record struct {Record}",
                new CallDoc(null, "", _fields.Select(f => (Doc)new Text($"{_torch}.Tensor {f}")).ToList()), "");
            _w.Open($"    : global::PrLstm.Runtime.Schedule.ITensorState<{Record}>");
        }

        private void WriteSqueezeTime()
        {
            _w.Summary("Drops the time axis of a one-position state: <c>[B, 1, size]</c> to <c>[B, size]</c>.");
            DocWriter.Write(_w, $"public {Record} SqueezeTime() => ", New((f, _) => $"{f}.squeeze(1)"), ";");
            _w.Line();
        }

        private void WriteFieldLists()
        {
            string fields = _scope.Claim("fields");
            _w.Summary("The fields' names, in declaration order.");
            DocWriter.Write(_w, $"public static {Generic}IReadOnlyList<string> FieldNames {{ get; }} = ",
                new ArrayDoc("new[]", _fieldNames.Select(f => (Doc)new Text($"\"{f}\"")).ToList()), ";");
            _w.Line();
            _w.Summary("The fields' tensors, in declaration order.");
            DocWriter.Write(_w, $"public {Generic}IReadOnlyList<{_torch}.Tensor> Fields => ",
                new ArrayDoc("new[]", _fields.Select(f => (Doc)new Text(f)).ToList()), ";");
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
