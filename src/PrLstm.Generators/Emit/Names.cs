using System.Collections.Generic;
using Microsoft.CodeAnalysis.CSharp;

namespace PrLstm.Generators.Emit
{
    /// <summary>The names generated code gives to what users see (types, weights); every other generated name comes
    /// from a <see cref="NameScope"/>.</summary>
    internal static class Names
    {
        /// <summary>The TorchSharp module nested in each layer class: <c>LstmMerge.Layer</c>.</summary>
        public const string LayerClass = "Layer";

        /// <summary>The record nested in each state struct: <c>LstmState.Tensors</c>.</summary>
        public const string TensorsRecord = "Tensors";

        /// <summary>The weights of a layer's fused gate projection are <c>gates.weight</c> and <c>gates.bias</c>.</summary>
        public const string GateWeights = "gates";

        /// <summary>Names a generated file declares as aliases; user names that start with them are avoided.</summary>
        public static IEnumerable<string> AliasCandidates(string stateName) => new[] { "torch", "Elementwise", "FusedMath", "FusedKernel",
            stateName + TensorsRecord };

        /// <summary>The name as C# source: keywords get an @ (a field named <c>@out</c> is written <c>@out</c>).</summary>
        public static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
    }

    /// <summary>
    /// The unique-name builder of one generated file: user names are claimed first and keep their spelling; each name
    /// the generator needs for itself (aliases, locals, private fields) gets the first free variant of what it asks
    /// for, so it cannot capture or shadow a user name.
    /// </summary>
    internal sealed class NameScope
    {
        private readonly HashSet<string> _taken;

        public NameScope(IEnumerable<string> taken) => _taken = new HashSet<string>(taken);

        /// <summary>Marks names as used (by the user, or by an enclosing scope).</summary>
        public void Reserve(IEnumerable<string> names)
        {
            foreach (string name in names) _taken.Add(name);
        }

        /// <summary>The preferred name if free, else preferred2, preferred3, ...; the result is taken from then on.</summary>
        public string Claim(string preferred)
        {
            string name = preferred;
            for (int n = 2; _taken.Contains(name) || SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None; n++)
                name = preferred + n;
            _taken.Add(name);
            return name;
        }

        /// <summary>A scope inside this one: it sees every name taken so far.</summary>
        public NameScope Nested() => new(_taken);
    }
}
