using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PrLstm.Generators.Tests.Infrastructure;

/// <summary>Compiles test sources with the PrLstm generator in-process (after Mapperly's TestHelper).</summary>
public static class GeneratorHarness
{
    private static readonly ImmutableArray<MetadataReference> References = Net100.References.All
        .Concat(new[] { typeof(PrLstm.Dsl.Vec), typeof(TorchSharp.torch), typeof(PrLstm.Runtime.Schedule.TreeScan),
            typeof(PrLstm.Experiments.TaskModel) }
            .Select(t => (MetadataReference)MetadataReference.CreateFromFile(t.Assembly.Location)))
        .ToImmutableArray();

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params string[] sources) => Compile(OutputKind.DynamicallyLinkedLibrary, sources);

    private static CSharpCompilation Compile(OutputKind kind, string[] sources) =>
        CSharpCompilation.Create("Tests",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// Runs the generator on a console program as `dotnet new console` makes it (with its implicit global usings):
    /// the last source may hold top-level statements.
    /// </summary>
    public static GeneratorRun RunProgram(params string[] sources) =>
        Run(new PrLstmGenerator(), Compile(OutputKind.ConsoleApplication, sources.Prepend(ImplicitUsings).ToArray()));

    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static GeneratorDriver CreateDriver(PrLstmGenerator? generator = null) =>
        CSharpGeneratorDriver.Create(
            new[] { (generator ?? new PrLstmGenerator()).AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns its result and the compilation with the generated sources added.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(new PrLstmGenerator(), sources);

    public static GeneratorRun Run(PrLstmGenerator generator, params string[] sources) => Run(generator, Compile(sources));

    private static GeneratorRun Run(PrLstmGenerator generator, CSharpCompilation compilation)
    {
        var driver = CreateDriver(generator).RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult();
        Assert.Null(result.Results[0].Exception);
        return new GeneratorRun(driver, result, compilation, output);
    }
}

/// <param name="Input">The compilation before generation.</param>
/// <param name="Output">The compilation with the generated sources.</param>
public sealed record GeneratorRun(GeneratorDriver Driver, GeneratorDriverRunResult Result, Compilation Input, Compilation Output)
{
    public ImmutableArray<Diagnostic> GeneratorDiagnostics => Result.Diagnostics;

    /// <summary>Errors of the user code plus generated code, the generator's own diagnostics excluded.</summary>
    public IEnumerable<Diagnostic> CompilationErrors => Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>
    /// The source text a diagnostic points at. The generator reports file locations (path and span, not syntax
    /// trees, which it must not keep), so they are resolved through the path.
    /// </summary>
    public string LocatedText(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var tree = Input.SyntaxTrees.FirstOrDefault(t => t.FilePath == span.Path);
        return tree is null ? "" : tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }

    public string Source(string hintNameEnd) =>
        Result.Results[0].GeneratedSources.Single(s => s.HintName.EndsWith(hintNameEnd, StringComparison.Ordinal)).SourceText.ToString();
}
