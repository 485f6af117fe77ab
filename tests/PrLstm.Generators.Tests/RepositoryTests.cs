using PrLstm.Generators.Tests.Infrastructure;

namespace PrLstm.Generators.Tests;

/// <summary>House rules that hold for every source file of the repository (.editorconfig says the same).</summary>
public class RepositoryTests
{
    [Fact]
    public void NoLineOfCSharpIsLongerThan140Characters()
    {
        string root = TestSources.RepositoryRoot();
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or ".git" or "_snapshots"))
            .ToList();
        Assert.True(files.Count > 100, $"found only {files.Count} files");
        var tooLong = files
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, line.Length)))
            .Where(l => l.Length > 140)
            .Select(l => $"{l.File}:{l.Line} ({l.Length} characters)")
            .ToList();
        Assert.True(tooLong.Count == 0, string.Join("\n", tooLong));
    }
}
