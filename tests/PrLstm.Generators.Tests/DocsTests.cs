using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// Every ```csharp block of README.md and docs/*.md compiles as pasted, with the generator. Blocks that declare
/// types are files, compiled together (later samples use the types of earlier ones); every other block is a whole
/// program of top-level statements, compiled on its own against those declarations: no usings are added and
/// nothing is defined for it. ```cs blocks are illustrations (e.g. the mistakes in diagnostics.md).
/// </summary>
public partial class DocsTests
{
    private static List<(string File, string Code)> Blocks()
    {
        var files = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(TestSources.RepositoryRoot(), "docs"), "*.md")
            .Select(f => Path.Combine("docs", Path.GetFileName(f)))).Order().ToList();
        return files.SelectMany(file => CSharpBlock().Matches(TestSources.Repository(file).Replace("\r\n", "\n"))
            .Select(m => (file, m.Groups[1].Value))).ToList();
    }

    private static bool DeclaresTypes(string code)
        => Regex.IsMatch(code, @"^\s*(\[[^\]]*\]\s*)*(public |internal |static |file )*(partial )?(class|struct|record|interface|enum)\s",
            RegexOptions.Multiline)
        && !Regex.IsMatch(code.Split('\n').First(l => l.Trim().Length > 0 && !l.StartsWith("using ") && !l.StartsWith("//")),
            @"^\s*(var|using var|[A-Za-z_][\w.<>]*\s*\(|Console|await|foreach|for|if)\b");

    public static IEnumerable<object[]> Programs() =>
        Blocks().Where(b => !DeclaresTypes(b.Code)).Select((b, i) => new object[] { $"{b.File} #{i}", b.Code });

    [Fact]
    public void TheDocsHaveSamples() => Assert.True(Blocks().Count >= 5, $"found only {Blocks().Count} C# samples");

    [Theory]
    [MemberData(nameof(Programs))]
    public void EverySampleCompilesAsPasted(string name, string program)
    {
        var declarations = Blocks().Where(b => DeclaresTypes(b.Code)).Select(b => $"// {b.File}\n{b.Code}");
        var run = GeneratorHarness.RunProgram(declarations.Append($"// {name}\n{program}").ToArray());
        Assert.Empty(run.GeneratorDiagnostics);
        var errors = run.CompilationErrors.Select(e => $"{e.Id} {e.GetMessage()} in: "
            + $"{e.Location.SourceTree?.GetText().ToString().Split('\n')[0]}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
