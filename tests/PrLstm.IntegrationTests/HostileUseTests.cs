using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using PrLstm.Runtime.Weights;
using static TorchSharp.torch;

namespace PrLstm.IntegrationTests;

/// <summary>
/// The CLI used as a careless or hostile user would: contradicting resumes, options out of range, leftovers, deep
/// inputs, NaN weights (in this process), and signals, concurrent writers and interrupted evaluation (as processes).
/// </summary>
[Collection(nameof(ConsoleCapture))]
public class HostileUseTests
{
    private static ConsoleCapture.Outcome Prlstm(params string[] args) => ConsoleCapture.Prlstm(args);

    private static string TempFolder() => Directory.CreateTempSubdirectory("prlstm-hostile-use").FullName;

    private static string TinyRun(string task = "parity_check", string model = "pr-lstm", int hidden = 4, string? folder = null,
        string steps = "2")
    {
        folder ??= Path.Combine(TempFolder(), "run");
        var train = Prlstm("train", "--task", task, "--model", model, "--hidden", hidden.ToString(), "--batch-size", "4", "--steps", steps,
            "--log-every", "1",
            "--eval-lengths", "none", "--out", folder);
        Assert.True(train.ExitCode == 0, train.Error);
        return folder;
    }

    [Fact]
    public void AResumeThatContradictsTheCheckpointNamesEveryDifference()
    {
        string folder = TinyRun();
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--resume", "--task", "even_pairs", "--model", "lstm", "--steps", "5", "--out",
            folder),
            $"'{folder}' holds a checkpoint of another run", "--task even_pairs (the checkpoint has parity_check)", "--model lstm (the "
                + "checkpoint has pr-lstm)");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--resume", "--task", "parity_check", "--hidden", "8", "--lr", "0.01", "--steps",
            "5", "--out", folder),
            "--hidden 8 (the checkpoint has 4)", "--lr 0.01 (the checkpoint has 0.001)");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--resume", "--task", "parity_check", "--steps", "1", "--out", folder),
            "--steps 1 (the checkpoint has already trained 2 steps)");
        // Options left out take the checkpoint's values; raising --steps continues it.
        var resumed = Prlstm("train", "--resume", "--task", "parity_check", "--steps", "3", "--eval-lengths", "none", "--out", folder);
        Assert.True(resumed.ExitCode == 0, resumed.Error);

        // compare describes every run in full: a folder holding an H = 4 run is not re-scored as the H = 8 one asked for.
        string compare = TempFolder();
        TinyRun(folder: Path.Combine(compare, "parity_check", "lstm"), model: "lstm");
        ConsoleCapture.AssertOneLineError(Prlstm("compare", "--tasks", "parity_check", "--models", "lstm", "--hidden", "8", "--batch-size",
            "4", "--steps", "2", "--log-every", "1",
            "--eval-lengths", "none", "--out", compare), "--hidden 8 (the checkpoint has 4)");
    }

    [Fact]
    public void EveryOptionHasARangeCheckedBeforeAnyWork()
    {
        string folder = TinyRun();
        ConsoleCapture.AssertOneLineError(Prlstm("sample", "--task", "parity_check", "--threads", "100000"), $"--threads must be between "
            + $"1 and {Environment.ProcessorCount}, not 100000");
        ConsoleCapture.AssertOneLineError(Prlstm("eval", "--checkpoint", folder, "--lengths", "2147483647"), "'2147483647': lengths are "
            + "at most 1000000");
        ConsoleCapture.AssertOneLineError(Prlstm("eval", "--checkpoint", folder, "--lengths", "1-1000000:1,1-1000000:1"),
            "more than 1000000 lengths");
        ConsoleCapture.AssertOneLineError(Prlstm("eval", "--checkpoint", folder, "--batches", "0"), "--batches must be between 1 and "
            + "10000, not 0");
        ConsoleCapture.AssertOneLineError(Prlstm("eval", "--checkpoint", folder, "--batch-size", "0"), "--batch-size must be between 1 "
            + "and 65536, not 0");
        ConsoleCapture.AssertOneLineError(Prlstm("compare", "--tasks", ",", "--out", TempFolder()), "--tasks ',' names no task");
        ConsoleCapture.AssertOneLineError(Prlstm("compare", "--models", " , ", "--out", TempFolder()), "--models ' , ' names no model");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--task", "parity_check", "--hidden", "100000", "--out", TempFolder()),
            "--hidden must be between 1 and 8192, not 100000");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--task", "parity_check", "--lr", "0", "--out", TempFolder()),
            "--lr must be above 0 and at most 10, not 0");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--task", "parity_check", "--eval-batches", "0", "--out", TempFolder()),
            "--eval-batches must be between 1 and 10000, not 0");
        ConsoleCapture.AssertOneLineError(Prlstm("sample", "--task", "parity_check", "--count", "-1"), "--count must be between 0 and "
            + "10000000, not -1");
        // eval --out is checked before the evaluation, not after it.
        var unwritable = Prlstm("eval", "--checkpoint", folder, "--lengths", "41-500", "--out", "/proc/prlstm-cannot-write");
        ConsoleCapture.AssertOneLineError(unwritable, "cannot write to '/proc/prlstm-cannot-write'");
        Assert.DoesNotContain("eval length", unwritable.Output);
    }

    [Fact]
    public void FailedValidationLeavesNoFolderAndInterruptedSavesLeaveNoTemporaryFiles()
    {
        string missing = Path.Combine(TempFolder(), "never-trained");
        ConsoleCapture.AssertOneLineError(Prlstm("train", "--task", "parity_check", "--resume", "--out", missing), "holds no checkpoint "
            + "to continue");
        Assert.False(Directory.Exists(missing));

        string folder = TinyRun();
        string leftover = Path.Combine(folder, ".weights-00000009.safetensors.0123abcd.tmp");
        File.WriteAllText(leftover, "half a save");
        var resumed = Prlstm("train", "--resume", "--task", "parity_check", "--steps", "3", "--eval-lengths", "none", "--out", folder);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.False(File.Exists(leftover));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void DeeplyNestedInputsArePredictedWithoutRecursion()
    {
        string folder = TinyRun("modular_arithmetic_brackets");
        var outcome = Prlstm("predict", "--checkpoint", folder, "--input", new string('-', 30_000) + "3", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        using var json = JsonDocument.Parse(outcome.Output);
        Assert.Equal(3, json.RootElement.GetProperty("expected")[0].GetInt32()); // an even count of '-' keeps 3

        string equation = TinyRun("solve_equation");
        var solved = Prlstm("predict", "--checkpoint", equation, "--input", new string('-', 30_000) + "x=2", "--json");
        Assert.True(solved.ExitCode == 0, solved.Error);
        using var answer = JsonDocument.Parse(solved.Output);
        Assert.Equal(2, answer.RootElement.GetProperty("expected")[0].GetInt32());
    }

    [Fact]
    public void PredictJsonWritesNonFiniteLogits()
    {
        string folder = TinyRun();
        string weights = Directory.GetFiles(folder, "weights-00000002.safetensors").Single();
        using var scope = NewDisposeScope();
        var tensors = Safetensors.Read(weights, out var metadata);
        tensors["readout.bias"] = tensor(new[] { float.NaN, float.PositiveInfinity });
        Safetensors.Write(weights, tensors, metadata);
        var outcome = Prlstm("predict", "--checkpoint", folder, "--input", "0110", "--json");
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        using var json = JsonDocument.Parse(outcome.Output);
        var logits = json.RootElement.GetProperty("logits")[0];
        Assert.Equal("NaN", logits[0].GetString());
        Assert.Equal("Infinity", logits[1].GetString());
    }

    [Fact]
    public void APlotIsReplacedAtomically()
    {
        string folder = TinyRun();
        string plot = Path.Combine(folder, "training_parity_check.png");
        byte[] before = File.ReadAllBytes(plot);
        var result = PrLstm.FormalLanguages.Cli.Reports.Read(Path.Combine(folder, "results.json"));
        AtomicFile.BeforeRename = path =>
        {
            if (path.StartsWith(folder)
            && path.Contains(".training_parity_check.png.")) throw new IOException("simulated crash");
        };
        try
        {
            Assert.Throws<IOException>(() => PrLstm.FormalLanguages.Cli.Plots.TrainingCurves(plot, "parity_check", result));
        }
        finally
        {
            AtomicFile.BeforeRename = null;
        }
        Assert.Equal(before, File.ReadAllBytes(plot)); // the old plot, whole
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    // ---- as separate processes: signals, a second writer, interrupted evaluation -------------------------------

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "prlstm.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static string[] LongTraining(string folder)
        => new[] { "train", "--task", "even_pairs", "--model", "lstm", "--hidden", "8", "--batch-size", "8",
        "--steps", "100000000", "--log-every", "20", "--checkpoint-every", "1000000", "--eval-lengths", "none", "--out", folder };

    /// <summary>Reads output lines until one contains <paramref name="text"/>.</summary>
    private static void WaitFor(Process process, string text)
    {
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.Contains(text)) { }
        if (line is null) Assert.Fail($"the process ended before printing '{text}': {process.StandardError.ReadToEnd()}");
    }

    [Theory]
    [InlineData(15, "SIGTERM")]
    [InlineData(1, "SIGHUP")]
    public void SigtermAndSighupSaveACheckpointAsCtrlCDoes(int signal, string name)
    {
        string folder = TempFolder();
        using var process = Start(LongTraining(folder));
        WaitFor(process, " step ");
        Assert.Equal(0, kill(process.Id, signal));
        string rest = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(130, process.ExitCode);
        Assert.Contains($"{name} received", error);
        Assert.Contains("interrupted at step", rest);
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint.json")));
        Assert.True(state.RootElement.GetProperty("Step").GetInt64() > 0);
    }

    [Fact]
    public void ASecondWriterOfARunFolderIsRefusedWhileReadersStillLoadIt()
    {
        string folder = TempFolder();
        using var first = Start(LongTraining(folder).Select(a => a == "1000000" ? "20" : a).ToArray()); // a checkpoint every 20 steps
        try
        {
            WaitFor(first, " step ");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(folder, "checkpoint.json")) && clock.Elapsed < TimeSpan.FromMinutes(1)) Thread.Sleep(50);
            var second = Prlstm(LongTraining(folder).Append("--resume").ToArray());
            ConsoleCapture.AssertOneLineError(second, $"'{folder}' is being written by another prlstm process");
            for (int i = 0; i < 5; i++)
            {
                var read = Prlstm("predict", "--checkpoint", folder, "--input", "0110");
                Assert.True(read.ExitCode == 0, read.Error);
            }
        }
        finally
        {
            kill(first.Id, 9);
            first.WaitForExit();
        }
    }

    [Fact]
    public void CtrlCStopsALocalSweepWithEveryRunSaved()
    {
        string folder = Path.Combine(TempFolder(), "grid");
        using var process = Start("sweep", "--tasks", "even_pairs", "--models", "lstm", "--seeds", "0-1", "--hidden", "8", "--batch-size",
            "8", "--steps", "100000000",
            "--log-every", "20", "--checkpoint-every", "1000000", "--eval-lengths", "none", "--out", folder, "--local", "2");
        var runs = new[] { "seed0-lr0.001", "seed1-lr0.001" }.Select(r => Path.Combine(folder, "runs", "even_pairs", "lstm", r)).ToArray();
        var clock = Stopwatch.StartNew();
        // Both runs are training once each has logged a step.
        while (!runs.All(r => File.Exists(Path.Combine(folder, "logs", $"local_{Array.IndexOf(runs, r)}.out"))
                              && File.ReadAllText(Path.Combine(folder, "logs", $"local_{Array.IndexOf(runs, r)}.out")).Contains(" step "))
               && clock.Elapsed < TimeSpan.FromMinutes(1))
            Thread.Sleep(100);
        // Ctrl-C in a terminal reaches the whole process group: every run, then the sweep, which sends each run one
        // SIGTERM. The runs must take that as one request to stop (save, exit 130), not as a second Ctrl-C (abort).
        var children = Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(d => d.All(char.IsDigit)).Select(int.Parse)
            .Where(pid =>
            {
                try
                {
                    return File.ReadAllText($"/proc/{pid}/cmdline")
                .Contains(Path.Combine(folder, "manifest.jsonl"));
                }
                catch (IOException) { return false; }
            })
            .ToList();
        Assert.Equal(2, children.Count);
        foreach (int child in children) Assert.Equal(0, kill(child, 2));
        Assert.Equal(0, kill(process.Id, 2));
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(130, process.ExitCode);
        foreach (string run in runs)
        {
            using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "checkpoint.json")));
            Assert.True(state.RootElement.GetProperty("Step").GetInt64() > 0, output);
            Assert.Contains("\"interrupted\"", File.ReadAllText(Path.Combine(run, "status.json")));
        }
    }

    [Fact]
    public void CtrlCDuringEvaluationWritesNoResultAndExits130()
    {
        string folder = TinyRun(model: "lstm", hidden: 8);
        string results = Path.Combine(folder, "results.json");
        string before = File.ReadAllText(results);
        using var process = Start("eval", "--checkpoint", folder, "--lengths", "41-500", "--batches", "50", "--batch-size", "64",
            "--threads", "1");
        WaitFor(process, "sub-batch 1/50"); // evaluation is under way
        Assert.Equal(0, kill(process.Id, 2));
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted during evaluation; no result was written", error);
        Assert.Equal(before, File.ReadAllText(results));
    }
}

/// <summary>prlstm sweep, run and collect without Slurm (the real Slurm test is tests/slurm/sweep-on-slurm.sh, run by CI).</summary>
[Collection(nameof(ConsoleCapture))]
public class SweepTests
{
    private static ConsoleCapture.Outcome Prlstm(params string[] args) => ConsoleCapture.Prlstm(args);

    private static readonly string[] Tiny = { "--hidden", "4", "--batch-size", "4", "--steps", "4", "--log-every", "2",
        "--checkpoint-every", "2",
        "--eval-lengths", "41", "--eval-batches", "1", "--eval-batch-size", "4" };

    [Fact]
    public void ASweepWritesOneManifestLinePerRunAndAnArrayScript()
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("prlstm-sweep").FullName, "grid");
        var outcome = Prlstm(new[] { "sweep", "--tasks", "parity_check,even_pairs", "--models", "pr-lstm,lstm,rnn", "--seeds", "0-2,7",
            "--lrs", "1e-4,3e-4",
            "--out", folder, "--partition", "gpu", "--time", "04:00:00", "--cpus", "2", "--mem", "8G", "--gpus", "1", "--account", "lab",
                "--max-parallel", "5",
            "--sbatch-arg=--qos=long" }.Concat(Tiny).ToArray());
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        var lines = File.ReadAllLines(Path.Combine(folder, "manifest.jsonl"));
        Assert.Equal(2 * 3 * 4 * 2, lines.Length);
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(0, 48), entries.Select(e => e.GetProperty("Index").GetInt32()));
        Assert.Equal(48, entries.Select(e => e.GetProperty("Folder").GetString()).Distinct().Count());
        var seeds = entries.Select(e => e.GetProperty("Config").GetProperty("Seed").GetUInt64()).Distinct().Order();
        Assert.Equal(new ulong[] { 0, 1, 2, 7 }, seeds);
        Assert.Equal(new[] { 1e-4, 3e-4 }, entries.Select(e => e.GetProperty("Config").GetProperty("LearningRate").GetDouble()).Distinct()
            .Order());
        Assert.All(entries, e => Assert.Equal(4, e.GetProperty("Config").GetProperty("Hidden").GetInt32()));
        string script = File.ReadAllText(Path.Combine(folder, "sweep.sbatch"));
        foreach (string line in new[] { "#SBATCH --array=0-47%5", "#SBATCH --signal=B:TERM@120", "#SBATCH --requeue", "#SBATCH "
            + "--partition=gpu", "#SBATCH --time=04:00:00",
                     "#SBATCH --cpus-per-task=2", "#SBATCH --mem=8G", "#SBATCH --gpus=1", "#SBATCH --account=lab", "#SBATCH --qos=long",
                         "run --manifest ", "--index \"$SLURM_ARRAY_TASK_ID\"", "scontrol requeue" })
            Assert.Contains(line, script);

        // The same folder with another grid is refused; bad seeds and rates name the option.
        var other = Prlstm(new[] { "sweep", "--tasks", "parity_check", "--out", folder }.Concat(Tiny).ToArray());
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("holds another sweep", other.Error);
        Assert.Contains("--seeds: '3-1' is not a seed or a range", Prlstm("sweep", "--seeds", "3-1", "--out", folder + "-x").Error);
        Assert.Contains("--lrs: '-1' is not a learning rate", Prlstm("sweep", "--lrs", "-1", "--out", folder + "-y").Error);
    }

    [Fact]
    public void RunSkipsFinishedRunsAndCollectListsWhatIsMissing()
    {
        string folder = Path.Combine(Directory.CreateTempSubdirectory("prlstm-sweep").FullName, "grid");
        Assert.Equal(0,
            Prlstm(new[] { "sweep", "--tasks", "parity_check", "--models", "lstm", "--seeds", "0-2", "--out", folder }.Concat(Tiny)
                .ToArray()).ExitCode);
        string manifest = Path.Combine(folder, "manifest.jsonl");
        var first = Prlstm("run", "--manifest", manifest, "--index", "0");
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("already finished", Prlstm("run", "--manifest", manifest, "--index", "0").Output);
        Assert.Equal(0, Prlstm("run", "--manifest", manifest, "--index", "2").ExitCode);
        Assert.Contains("--index 3 is outside the manifest's 0..2", Prlstm("run", "--manifest", manifest, "--index", "3").Error);

        var collected = Prlstm("collect", folder);
        Assert.Equal(2, collected.ExitCode); // a run is missing
        string markdown = File.ReadAllText(Path.Combine(folder, "collected.md"));
        Assert.Contains("2 finished, 1 missing, 0 failed of 3 runs.", markdown);
        Assert.Contains("- run 1 `runs/parity_check/lstm/seed1-lr0.001`: missing", markdown);
        Assert.Matches(@"\| parity_check \| [0-9.]+ \(2/3\) \|", markdown);           // the best of the two finished
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "collected.json")));
        var runs = json.RootElement.GetProperty("Runs").EnumerateArray().ToList();
        var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "runs/parity_check/lstm/seed0-lr0.001/results.json")))
            .RootElement[0];
        Assert.Equal(100 * result.GetProperty("Score").GetDouble(), runs[0].GetProperty("Score").GetDouble(), 12);
        Assert.Equal("missing", runs[1].GetProperty("State").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "accuracy_parity_check.png")));

        // A run whose files are corrupt is listed as failed, with the reason; the others are still collected.
        File.WriteAllText(Path.Combine(folder, "runs/parity_check/lstm/seed2-lr0.001/checkpoint.json"), "{ broken");
        Assert.Equal(2, Prlstm("collect", folder).ExitCode);
        markdown = File.ReadAllText(Path.Combine(folder, "collected.md"));
        Assert.Contains("1 finished, 1 missing, 1 failed of 3 runs.", markdown);
        Assert.Contains("- run 2 `runs/parity_check/lstm/seed2-lr0.001`: failed (", markdown);
        Assert.Contains("is not a valid checkpoint", markdown);
    }
}
