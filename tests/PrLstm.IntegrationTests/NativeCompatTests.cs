using System.Diagnostics;
using System.Text;
using PrLstm.Runtime;

namespace PrLstm.IntegrationTests;

/// <summary>The libstdc++ compatibility step of build/PrLstm.NativeCompat.targets.</summary>
public class NativeCompatTests
{
    private static readonly string Root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static bool SystemHasGlibcxx3432()
    {
        string library = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }.FirstOrDefault(File.Exists) ?? "";
        return library != "" && Encoding.ASCII.GetString(File.ReadAllBytes(library)).Contains("GLIBCXX_3.4.32\0");
    }

    [Fact]
    public void TheShimIsLoadedExactlyWhereTheSystemNeedsIt()
    {
        Assert.True(OperatingSystem.IsLinux());
        Assert.Equal(!SystemHasGlibcxx3432(), NativeCompat.ShimLoaded);
        Assert.Equal(!SystemHasGlibcxx3432(), File.Exists(Path.Combine(AppContext.BaseDirectory, NativeCompat.ShimFileName)));
    }

    [Fact]
    public void ThePatchEditsOnlyAFewBytesOfTheOutputCopy()
    {
        string output = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).Single();
        string nuget = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"),
            "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(nuget)) return; // a custom package folder: nothing to compare with
        byte[] patched = File.ReadAllBytes(output), original = File.ReadAllBytes(nuget);
        Assert.Equal(original.Length, patched.Length);
        int changed = original.Zip(patched).Count(pair => pair.First != pair.Second);
        // One versym entry (2 bytes) and one vernaux flag (1 byte); nothing where the system has the version.
        Assert.InRange(changed, SystemHasGlibcxx3432() ? 0 : 1, SystemHasGlibcxx3432() ? 0 : 3);
    }

    [Fact]
    public void AMissingCompilerFailsTheBuildWithOneLineSayingWhatToInstall()
    {
        string scratch = Directory.CreateTempSubdirectory("prlstm-native").FullName;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "msbuild", Path.Combine(Root, "build", "PrLstm.NativeCompat.targets"), "-t:PrLstmBuildGlibcxxShim",
            "-nologo", "-v:q",
                     "-p:PrLstmCxx=prlstm-no-such-compiler", $"-p:IntermediateOutputPath={scratch}/obj/", $"-p:OutDir={scratch}/bin/" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.NotEqual(0, process.ExitCode);
        var errors = output.Split('\n').Where(l => l.Contains("error")).ToList();
        Assert.Single(errors);
        Assert.Contains("no C++ compiler (prlstm-no-such-compiler) was found; install one (Debian/Ubuntu: sudo apt-get install g++)",
            errors[0]);
    }
}
