using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>
/// Every ```csharp block of README.md and docs/*.md compiles, with the generator, together (later samples use the
/// types of earlier ones). Blocks with type declarations are compiled as files; the others are wrapped in a method,
/// their using directives lifted out. ```cs blocks are illustrations (e.g. the mistakes in diagnostics.md).
/// </summary>
public partial class DocsTests
{
    [Fact]
    public void EveryCSharpSampleInTheDocsCompiles()
    {
        var files = new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(TestSources.RepositoryRoot(), "docs"), "*.md").Select(f => Path.Combine("docs", Path.GetFileName(f)))).Order().ToList();
        var sources = new List<string>();
        int blocks = 0;
        foreach (string file in files)
        {
            foreach (Match block in CSharpBlock().Matches(TestSources.Repository(file).Replace("\r\n", "\n")))
            {
                blocks++;
                string code = block.Groups[1].Value;
                if (Regex.IsMatch(code, @"\b(partial|class|struct)\s+\w+"))
                {
                    sources.Add($"// {file}\n{code}");
                    continue;
                }
                var lines = code.Split('\n');
                var usings = lines.Where(l => Regex.IsMatch(l, @"^using (static )?[\w.]+;")).ToList();
                var body = lines.Where(l => !usings.Contains(l));
                string parameter = Regex.IsMatch(code, @"\bvar x\b") ? "" : "TorchSharp.torch.Tensor x";
                sources.Add($"// {file}\nusing System; using System.IO; using System.Linq; using TorchSharp; using static TorchSharp.torch;\n{string.Join("\n", usings)}\n"
                    + $"static class DocSample{blocks} {{ static void Run({parameter}) {{\n{string.Join("\n", body)}\n}} }}");
            }
        }
        Assert.True(blocks >= 5, $"found only {blocks} C# samples");
        var run = GeneratorHarness.Run(sources.ToArray());
        Assert.Empty(run.GeneratorDiagnostics);
        var errors = run.CompilationErrors.Select(e => $"{e.Id} {e.GetMessage()} in: {e.Location.SourceTree?.GetText().ToString().Split('\n')[0]}").ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [GeneratedRegex("```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
