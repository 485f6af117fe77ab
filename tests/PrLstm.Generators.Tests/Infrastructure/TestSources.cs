using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace PrLstm.Generators.Tests.Infrastructure;

/// <summary>Test sources: the repository's shipped declarations, and small declarations built around a body.</summary>
public static class TestSources
{
    /// <summary>The repository root, found from this source file's own location (not the caller's).</summary>
    public static string RepositoryRoot() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..", ".."));

    private static string ThisFile([CallerFilePath] string file = "") => file;

    public static string Repository(string relativePath) => File.ReadAllText(Path.Combine(RepositoryRoot(), relativePath));

    public const string Usings = "using PrLstm.Dsl;\nusing static PrLstm.Dsl.Ops;\n";

    /// <summary>The PR-LSTM state (h, c of size H) and an encoder for it, to build test blocks on.</summary>
    public const string LstmStateAndLeaf = """
        namespace Test;

        [State]
        public partial struct S
        {
            [Size("H")] public Vec h;
            [Size("H")] public Vec c;
        }

        [TokenEncoder]
        public static partial class Leaf
        {
            public static S Encode(Vec i, Vec o) => new S { h = Sigmoid(o) * Tanh(i), c = i };
        }

        """;

    /// <summary>The state and leaf above plus the given declarations.</summary>
    public static string WithState([StringSyntax("C#")] string declarations) => Usings + LstmStateAndLeaf + declarations;
}
