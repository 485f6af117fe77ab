using System.Diagnostics;

namespace PrLstm.IntegrationTests;

/// <summary>MSBuild switches of the repository, checked by evaluating projects (nothing is restored).</summary>
public class BuildTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static (int ExitCode, string Output) Msbuild(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root
        };
        start.ArgumentList.Add("msbuild");
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    [Theory]
    [InlineData("cpu", "TorchSharp-cpu")]
    [InlineData("cuda", "TorchSharp-cuda-linux")]
    public void TheBackendSwitchPicksTheTorchSharpBundle(string backend, string package)
    {
        var (exitCode, output) = Msbuild("src/PrLstm.Runtime", "-getItem:PackageReference", $"-p:PrLstmTorchBackend={backend}");
        Assert.Equal(0, exitCode);
        Assert.Contains($"\"Identity\": \"{package}\"", output);
        Assert.Single(output.Split('\n'), l => l.Contains("\"Identity\": \"TorchSharp"));
    }

    [Fact]
    public void AnUnknownBackendIsAOneLineError()
    {
        var (exitCode, output) = Msbuild("src/PrLstm.Runtime", "-t:PrLstmCheckTorchBackend", "-p:PrLstmTorchBackend=rocm", "-nologo",
            "-v:q");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("PrLstmTorchBackend is 'rocm'; use cpu (TorchSharp-cpu) or cuda", output);
    }
}
