using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace PrLstm.Generators.Tests.Infrastructure;

/// <summary>
/// Snapshot testing after Verify's conventions (Verify itself cannot be restored here):
/// <list type="bullet">
/// <item>each generated file is compared with <c>_snapshots/{Class}.{Method}#{HintName}.verified.cs</c>, the
///   generator's diagnostics with <c>{Class}.{Method}.verified.txt</c>; the set of files must match too;</item>
/// <item>on a mismatch or a missing snapshot the actual output is written beside it as <c>*.received.*</c> and the
///   test fails with the first differing line;</item>
/// <item><c>PRLSTM_ACCEPT_SNAPSHOTS=1</c> accepts: verified files are overwritten, stale ones deleted. Review with
///   git diff. Never set it in CI.</item>
/// </list>
/// Output is normalised (LF line ends, the generator version replaced by %VERSION%).
/// </summary>
public static partial class Snapshot
{
    private static bool Accepting => Environment.GetEnvironmentVariable("PRLSTM_ACCEPT_SNAPSHOTS") == "1";

    public static void Verify(GeneratorRun run, string? parameters = null, [CallerFilePath] string file = "",
        [CallerMemberName] string method = "")
    {
        string folder = Path.Combine(Path.GetDirectoryName(file)!, "_snapshots");
        string prefix = Path.GetFileNameWithoutExtension(file) + "." + method + (parameters is null ? "" : "_" + parameters);
        var expected = new Dictionary<string, string>();
        foreach (var source in run.Result.Results[0].GeneratedSources)
            expected[prefix + "#" + Path.ChangeExtension(source.HintName, null) + ".verified.cs"] = Normalize(source.SourceText.ToString());
        if (run.GeneratorDiagnostics.Length > 0)
            expected[prefix + ".verified.txt"] = FormatDiagnostics(run, run.GeneratorDiagnostics);

        Directory.CreateDirectory(folder);
        var failures = new List<string>();
        foreach (var (name, actual) in expected.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            string verified = Path.Combine(folder, name);
            string received = verified.Replace(".verified.", ".received.");
            if (Accepting)
            {
                File.WriteAllText(verified, actual);
                File.Delete(received);
                continue;
            }
            if (!File.Exists(verified))
            {
                File.WriteAllText(received, actual);
                failures.Add($"missing snapshot {name}; the output was written to {received}");
                continue;
            }
            string snapshot = Normalize(File.ReadAllText(verified));
            if (snapshot == actual)
            {
                File.Delete(received);
                continue;
            }
            File.WriteAllText(received, actual);
            failures.Add(FirstDifference(name, snapshot, actual, verified, received));
        }

        // Stale snapshots: files of this test that the generator no longer produces.
        foreach (string stale in Directory.GetFiles(folder, prefix + "*.verified.*").Select(Path.GetFileName)
            .Where(n => IsOwnSnapshot(n!, prefix) && !expected.ContainsKey(n!))!)
        {
            if (Accepting) File.Delete(Path.Combine(folder, stale));
            else failures.Add($"stale snapshot {stale}: the generator no longer produces it (accept with PRLSTM_ACCEPT_SNAPSHOTS=1)");
        }
        Assert.True(failures.Count == 0, "Snapshot mismatch:\n" + string.Join("\n\n", failures));
    }

    private static bool IsOwnSnapshot(string name, string prefix) =>
        name.StartsWith(prefix + "#", StringComparison.Ordinal) || name == prefix + ".verified.txt";

    /// <summary>One block per diagnostic: id, severity, span, the source line with a caret underline, message.</summary>
    public static string FormatDiagnostics(GeneratorRun run, IEnumerable<Diagnostic> diagnostics)
    {
        var text = new StringBuilder();
        foreach (var d in diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal))
        {
            var span = d.Location.GetLineSpan();
            text.Append("Id: ").Append(d.Id).Append('\n');
            text.Append("Severity: ").Append(d.Severity).Append('\n');
            var tree = run.Input.SyntaxTrees.FirstOrDefault(t => t.FilePath == span.Path);
            if (tree is not null)
            {
                var (first, last) = (span.StartLinePosition, span.EndLinePosition);
                text.Append($"Span: ({first.Line + 1},{first.Character + 1})-({last.Line + 1},{last.Character + 1})\n");
                var line = tree.GetText().Lines[span.StartLinePosition.Line].ToString();
                int start = span.StartLinePosition.Character;
                int length = Math.Max(1,
                    (span.StartLinePosition.Line == span.EndLinePosition.Line ? span.EndLinePosition.Character : line.Length) - start);
                text.Append("    ").Append(line).Append('\n');
                text.Append("    ").Append(' ', start).Append('^', length).Append('\n');
            }
            text.Append("Message: ").Append(d.GetMessage()).Append("\n\n");
        }
        return text.ToString();
    }

    public static string Normalize(string text) =>
        VersionPattern().Replace(text.Replace("\r\n", "\n").TrimStart('\uFEFF'), "\"PrLstm.Generators\", \"%VERSION%\"");

    private static string FirstDifference(string name, string expected, string actual, string verified, string received)
    {
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        int line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line]) line++;
        var report = new StringBuilder($"{name} differs at line {line + 1}:\n");
        for (int i = Math.Max(0, line - 2); i < Math.Min(line + 3, Math.Max(expectedLines.Length, actualLines.Length)); i++)
        {
            if (i < expectedLines.Length && (i >= actualLines.Length || expectedLines[i] != actualLines[i])) report.Append("  - ")
                .Append(expectedLines[i]).Append('\n');
            if (i < actualLines.Length && (i >= expectedLines.Length || expectedLines[i] != actualLines[i])) report.Append("  + ")
                .Append(actualLines[i]).Append('\n');
            if (i < expectedLines.Length && i < actualLines.Length && expectedLines[i] == actualLines[i]) report.Append("    ")
                .Append(actualLines[i]).Append('\n');
        }
        report.Append($"verified: {verified}\nreceived: {received}");
        return report.ToString();
    }

    [GeneratedRegex("\"PrLstm\\.Generators\", \"[0-9.]+\"")]
    private static partial Regex VersionPattern();
}
