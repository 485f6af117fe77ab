using System.Diagnostics;

namespace PrLstm.IntegrationTests;

/// <summary>
/// What a new user does: pack PrLstm into a local folder, create a console project outside the solution that
/// references only that package, declare a block, build, run a forward pass; and see PRL1001 for a mis-sized block.
/// </summary>
public class PackageTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static (int ExitCode, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "dotnet " + string.Join(' ', args) + " did not finish");
        return (process.ExitCode, output + error.Result);
    }

    private const string Declarations = """
        using PrLstm.Dsl;
        using static PrLstm.Dsl.Ops;

        [State] public partial struct S { [Size("H")] public Vec h; [Size("M")] public Vec m; }
        [TokenEncoder(GateSize = "H")] public static partial class Leaf
        {
            public static S Encode(Vec a, [Size("M")] Vec b) => new S { h = Tanh(a), m = b };
        }
        [CompositionBlock(GatesFrom = "h")] public static partial class Merge
        {
            public static S Compose(S left, S right, [Size("H")] Vec z) =>
                new S { h = Sigmoid(z) * left.h + (1 - Sigmoid(z)) * right.h, m = left.m + right.m };
        }
        [ParallelRecursiveModel(Encoder = typeof(Leaf), Block = typeof(Merge))] public partial class TwoSizes { }
        """;

    [Fact]
    public void AFreshProjectUsesThePackedPackage()
    {
        // The scratch folder holds a packed package, its restore and two builds (about 1 GB): removed afterwards.
        string scratch = Directory.CreateTempSubdirectory("prlstm-package").FullName;
        try
        {
            string feed = Path.Combine(scratch, "feed");
            string version = "0.1.0-test" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
            // `dotnet pack` at the root, as the README says: exactly one package (and its symbols).
            var pack = Dotnet(Root, "pack", "PrLstm.sln", "-c", "Release", "-o", feed, $"-p:Version={version}", "-v", "q");
            Assert.True(pack.ExitCode == 0, pack.Output);
            Assert.Equal(new[] { $"PrLstm.{version}.nupkg" }, Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName));
            AssertThePackageIsTheLibrary(Path.Combine(feed, $"PrLstm.{version}.nupkg"));

            string project = Path.Combine(scratch, "app");
            Directory.CreateDirectory(project);
            File.WriteAllText(Path.Combine(project, "nuget.config"), $"<configuration><packageSources><add key=\"local\" value=\"{feed}\" "
                + $"/></packageSources></configuration>");
            File.WriteAllText(Path.Combine(project, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup><PackageReference Include="PrLstm" Version="{version}" /></ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(project, "Cells.cs"), Declarations);
            File.WriteAllText(Path.Combine(project, "Program.cs"), """
                using static TorchSharp.torch;
                using var model = new TwoSizes(inputSize: 4, H: 8, M: 3);
                var states = model.ScanStates(randn(2, 9, 4));
                Console.WriteLine($"h [{string.Join(", ", states.h.shape)}] m [{string.Join(", ", states.m.shape)}]");
                """);
            var run = Dotnet(project, "run");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("h [2, 9, 8] m [2, 9, 3]", run.Output);

            // A deliberately mis-sized block: the build fails with the generator's diagnostic, naming both sizes.
            File.WriteAllText(Path.Combine(project, "Cells.cs"), Declarations.Replace("m = left.m + right.m", "m = left.m + right.h"));
            var build = Dotnet(project, "build");
            Assert.NotEqual(0, build.ExitCode);
            Assert.Contains("error PRL1001: Operands of '+' in Merge.Compose have sizes M and H", build.Output);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// The package holds the library (runtime, attributes, generator, code fixes) and nothing of the experiment
    /// harness: no task, trainer, checkpoint or baseline type, read from the packed assemblies' metadata.
    /// </summary>
    private static void AssertThePackageIsTheLibrary(string nupkg)
    {
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        foreach (string expected in new[] { "lib/net10.0/PrLstm.Runtime.dll", "lib/net10.0/PrLstm.Dsl.dll",
            "analyzers/dotnet/cs/PrLstm.Generators.dll", "analyzers/dotnet/cs/PrLstm.CodeFixes.dll" })
            Assert.Contains(expected, entries);
        Assert.DoesNotContain(entries, e => e.Contains("Experiments", StringComparison.OrdinalIgnoreCase));

        var harness = new[] { "FormalTask", "BucketSort", "ParityCheck", "Trainer", "Adam", "Checkpoints", "Evaluation", "Curriculum",
            "RunConfig",
            "LstmBaseline", "RnnBaseline", "TransformerEncoder", "TaskModel", "TaskBatch" };
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)))
        {
            using var stream = new MemoryStream();
            using (var source = entry.Open()) source.CopyTo(stream);
            stream.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
            var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var types = metadata.TypeDefinitions.Select(h => metadata.GetTypeDefinition(h))
                .Select(t => metadata.GetString(t.Namespace) + "." + metadata.GetString(t.Name)).ToList();
            Assert.DoesNotContain(types, t => t.StartsWith("PrLstm.Experiments", StringComparison.Ordinal)
                || t.Contains(".Tasks.", StringComparison.Ordinal)
                || t.Contains(".Training.", StringComparison.Ordinal) || t.Contains(".Baselines.", StringComparison.Ordinal));
            Assert.DoesNotContain(types, t => harness.Contains(t.Substring(t.LastIndexOf('.') + 1)));
        }
    }
}
