using System.Diagnostics;
using System.Text.Json;

namespace PrLstm.IntegrationTests;

/// <summary>The prlstm command end to end, as a separate process, on tiny settings.</summary>
public class CliTests
{
    private static ConsoleCapture.Outcome Prlstm(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "prlstm.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "prlstm did not finish");
        return new ConsoleCapture.Outcome(process.ExitCode, output.Result, error.Result);
    }

    private static void AssertUserError(ConsoleCapture.Outcome outcome, string message)
        => ConsoleCapture.AssertOneLineError(outcome, message);

    private static string TempFolder() => Directory.CreateTempSubdirectory("prlstm-cli").FullName;

    [Fact]
    public void SamplePrintsOneJsonObjectPerLineInTheAgreedFormat()
    {
        var outcome = Prlstm("sample", "--task", "parity_check", "--length", "5", "--count", "3", "--seed", "4", "--json");
        Assert.Equal(0, outcome.ExitCode);
        var lines = outcome.Output.Trim().Split('\n');
        Assert.Equal(3, lines.Length);
        foreach (string line in lines)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            Assert.Equal(new[] { "task", "length", "input", "target", "mask" }, root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("parity_check", root.GetProperty("task").GetString());
            Assert.Equal(5, root.GetProperty("length").GetInt32());
            var input = root.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(5, input.Length);
            // a list even for one output
            Assert.Equal(new[] { input.Sum() % 2 }, root.GetProperty("target").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(new[] { 1 }, root.GetProperty("mask").EnumerateArray().Select(e => e.GetInt32()));
        }
        Assert.Equal(outcome.Output, Prlstm("sample", "--task", "parity_check", "--length", "5", "--count", "3", "--seed", "4", "--json")
            .Output);
    }

    [Fact]
    public void SampleOfATaskWithTerminatorsGivesTheMask()
    {
        var outcome = Prlstm("sample", "--task", "binary_addition", "--length", "5", "--count", "1", "--json");
        using var json = JsonDocument.Parse(outcome.Output);
        var target = json.RootElement.GetProperty("target").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var mask = json.RootElement.GetProperty("mask").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(6, target.Length);
        Assert.Equal(Enumerable.Range(0, 6).Select(t => t <= Array.IndexOf(target, 2) ? 1 : 0), mask);
    }

    [Fact]
    public void BadArgumentsGiveOneClearLine()
    {
        AssertUserError(Prlstm("sample", "--task", "parity"), "unknown task 'parity'");
        AssertUserError(Prlstm("sample", "--task", "parity_check", "--length", "0"), "--length must be between 1 and 1000000, not 0");
        AssertUserError(Prlstm("train", "--task", "parity_check", "--model", "gpt", "--steps", "1"), "unknown model 'gpt'");
        AssertUserError(Prlstm("train", "--task", "parity_check", "--steps", "1", "--out", "/proc/prlstm-cannot-write"),
            "cannot write to '/proc/prlstm-cannot-write'");
        AssertUserError(Prlstm("eval", "--checkpoint", "/nonexistent/run"), "There is no checkpoint folder '/nonexistent/run'");
        AssertUserError(Prlstm("train", "--task", "parity_check", "--steps", "1", "--eval-lengths", "50-40"), "ranges go upwards");
        Assert.NotEqual(0, Prlstm("train").ExitCode); // --task is required: System.CommandLine's own message
    }

    [Fact]
    public void TrainEvalPredictAndResumeWorkEndToEnd()
    {
        string folder = TempFolder();
        string[] tiny = { "--task", "parity_check", "--model", "pr-lstm", "--hidden", "8", "--batch-size", "8", "--log-every", "10",
            "--checkpoint-every", "10",
            "--eval-lengths", "41,44", "--eval-batches", "1", "--eval-batch-size", "8", "--out", folder };

        var train = Prlstm(new[] { "train", "--steps", "20" }.Concat(tiny).ToArray());
        Assert.True(train.ExitCode == 0, train.Error);
        foreach (string file in new[] { "checkpoint.json", "results.json", "results.md", "accuracy_parity_check.png",
            "training_parity_check.png" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file + " is missing");
        Assert.Contains("network score", train.Output);

        // The same folder again, without --resume, would overwrite the checkpoint: refused.
        AssertUserError(Prlstm(new[] { "train", "--steps", "20" }.Concat(tiny).ToArray()), "already holds a checkpoint");

        var resumed = Prlstm(new[] { "train", "--steps", "30", "--resume" }.Concat(tiny).ToArray());
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        using (var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint.json"))))
            Assert.Equal(30, state.RootElement.GetProperty("Step").GetInt64());

        var eval = Prlstm("eval", "--checkpoint", folder, "--lengths", "41-43", "--batches", "1", "--batch-size", "4");
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Matches(@"(?m)^41\t[01]\.\d{4}$", eval.Output);
        Assert.Matches(@"(?m)^43\t[01]\.\d{4}$", eval.Output);

        var predict = Prlstm("predict", "--checkpoint", folder, "--input", "0110");
        Assert.True(predict.ExitCode == 0, predict.Error);
        Assert.Matches(@"answer:\s+[01]", predict.Output);
        Assert.Matches(@"expected: 0", predict.Output);

        var json = Prlstm("predict", "--checkpoint", folder, "--input", "111", "--json");
        using (var result = JsonDocument.Parse(json.Output))
        {
            Assert.Equal(new[] { 1, 1, 1 }, result.RootElement.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal(2, result.RootElement.GetProperty("logits")[0].GetArrayLength());
            Assert.Equal(1, result.RootElement.GetProperty("expected")[0].GetInt32());
        }

        AssertUserError(Prlstm("predict", "--checkpoint", folder, "--input", "01a1"), "'a' at position 3 is not in the alphabet of "
            + "parity_check");

        File.WriteAllText(Path.Combine(folder, "checkpoint.json"), "{ broken");
        AssertUserError(Prlstm("predict", "--checkpoint", folder, "--input", "01"), "is not a valid checkpoint");
    }

    /// <summary>
    /// train --recompute trains the same model to float rounding: the losses logged at every step of a short run equal
    /// the plain run's. A model without a tree scan refuses it in one line.
    /// </summary>
    [Fact]
    public void TrainWithRecomputeLogsTheSameLosses()
    {
        double[] Losses(params string[] extra)
        {
            string folder = TempFolder();
            var train = Prlstm(new[] { "train", "--task", "parity_check", "--model", "pr-lstm", "--hidden", "8", "--batch-size", "4",
                "--steps", "6", "--log-every", "1", "--eval-lengths", "none", "--out", folder }.Concat(extra).ToArray());
            Assert.True(train.ExitCode == 0, train.Error);
            return PrLstm.FormalLanguages.Cli.Reports.Read(Path.Combine(folder, "results.json")).Single().History
                .Select(entry => entry.Loss).ToArray();
        }

        double[] plain = Losses(), recomputed = Losses("--recompute");
        Assert.Equal(6, plain.Length);
        Assert.Equal(plain.Length, recomputed.Length);
        for (int step = 0; step < plain.Length; step++)
            Assert.True(Math.Abs(plain[step] - recomputed[step]) <= 1e-5 * Math.Max(1, Math.Abs(plain[step])),
                $"step {step + 1}: loss {recomputed[step]} with --recompute, {plain[step]} without");
        AssertUserError(Prlstm("train", "--task", "parity_check", "--model", "lstm", "--steps", "1", "--recompute",
            "--out", TempFolder()), "--recompute applies to the tree models");
    }

    /// <summary>Trains a run of a few steps (no evaluation) into a new folder.</summary>
    private static string TinyRun(string task, string model)
    {
        string folder = TempFolder();
        var train = Prlstm("train", "--task", task, "--model", model, "--hidden", "8", "--batch-size", "4", "--steps", "3", "--log-every",
            "1",
            "--eval-lengths", "none", "--out", folder);
        Assert.True(train.ExitCode == 0, train.Error);
        return folder;
    }

    /// <summary>
    /// Runs predict --stream, writing one symbol at a time and reading the answer to each before writing the next
    /// (so the answers come as symbols arrive, not at the end of the input); returns the lines and the exit code.
    /// </summary>
    private static (string[] Lines, int ExitCode, string Error) Stream(string folder, string input, params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "prlstm.dll"), "predict", "--checkpoint", folder, "--stream",
            "--json" }.Concat(extra))
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        try
        {
            foreach (char symbol in input)
            {
                process.StandardInput.Write(symbol);
                process.StandardInput.Flush();
                if (char.IsWhiteSpace(symbol)) continue;
                var line = process.StandardOutput.ReadLineAsync();
                Assert.True(line.Wait(TimeSpan.FromMinutes(1)), $"no answer after '{symbol}'");
                if (line.Result is null) break; // the process ended (an error): its exit code and message tell
                lines.Add(line.Result);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process ended before reading all the input (an error).
        }
        lines.AddRange(process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "predict --stream did not finish");
        return (lines.ToArray(), process.ExitCode, error.Result);
    }

    private static double[][] Logits(JsonElement element) =>
        element.GetProperty("logits").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    [Theory]
    [InlineData("parity_check", "pr-lstm", "0110101")]
    [InlineData("reverse_string", "pr-lstm", "0 1 1\n0")]   // several output slots; whitespace and lines are skipped
    [InlineData("even_pairs", "lstm", "0110")]               // a baseline: recomputed at every symbol
    public void PredictStreamAnswersEachPrefixAsPredictDoes(string task, string model, string input)
    {
        string folder = TinyRun(task, model);
        var (lines, exitCode, error) = Stream(folder, input);
        Assert.True(exitCode == 0, error);
        string symbols = new(input.Where(c => !char.IsWhiteSpace(c)).ToArray());
        Assert.Equal(symbols.Length, lines.Length);
        for (int n = 1; n <= symbols.Length; n++)
        {
            using var streamed = JsonDocument.Parse(lines[n - 1]);
            var once = Prlstm("predict", "--checkpoint", folder, "--input", symbols[..n], "--json");
            Assert.True(once.ExitCode == 0, once.Error);
            using var whole = JsonDocument.Parse(once.Output);
            Assert.Equal(n, streamed.RootElement.GetProperty("position").GetInt32());
            Assert.Equal(symbols[n - 1].ToString(), streamed.RootElement.GetProperty("symbol").GetString());
            var (a, b) = (Logits(streamed.RootElement), Logits(whole.RootElement));
            Assert.Equal(b.Length, a.Length);
            for (int t = 0; t < a.Length; t++)
                for (int c = 0; c < a[t].Length; c++)
                    Assert.True(Math.Abs(a[t][c] - b[t][c]) <= 1e-4, $"prefix {symbols[..n]}, slot {t}, class {c}: {a[t][c]} streamed, "
                        + $"{b[t][c]} by predict --input");
        }
    }

    [Fact]
    public void PredictStreamSessionsContinueInAnotherProcessWithTheSameAnswers()
    {
        string folder = TinyRun("parity_check", "pr-lstm");
        string session = Path.Combine(folder, "session.safetensors");
        var whole = Stream(folder, "0110101");
        Assert.Equal(0, Stream(folder, "0110", "--session", session).ExitCode);
        var continued = Stream(folder, "101", "--session", session);
        Assert.True(continued.ExitCode == 0, continued.Error);
        Assert.Equal(whole.Lines[4..], continued.Lines);

        // A session of another task, and a bad symbol mid-stream: one-line errors; the answers before it are out.
        string other = TinyRun("even_pairs", "pr-lstm");
        var refused = Stream(other, "ab", "--session", session);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("cannot be restored into this stream: it was saved with other weights", refused.Error);
        Assert.Single(refused.Error.Trim().Split((char)10));
        var bad = Stream(folder, "01x1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal(2, bad.Lines.Length);
        Assert.Contains("'x' (symbol 3 of the stream) is not in the alphabet of parity_check", bad.Error);
        AssertUserError(Prlstm("predict", "--checkpoint", folder), "give either --input or --stream");
        AssertUserError(Prlstm("predict", "--checkpoint", folder, "--input", "01", "--session", session), "--session goes with --stream");
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Fact]
    public void CtrlCSavesACheckpointAndExitsCleanly()
    {
        string folder = TempFolder();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "prlstm.dll"), "train", "--task", "even_pairs", "--model",
            "lstm", "--hidden", "8",
                     "--batch-size", "8", "--steps", "100000000", "--log-every", "20", "--checkpoint-every", "1000000", "--eval-lengths",
                         "none", "--out", folder })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        // Wait for the first progress line: training is under way.
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.Contains(" step ")) { }
        Assert.NotNull(line);
        Assert.Equal(0, kill(process.Id, 2)); // SIGINT, as Ctrl-C sends
        string rest = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted at step", rest);
        Assert.Contains("saving a checkpoint", error);
        using var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "checkpoint.json")));
        Assert.True(state.RootElement.GetProperty("Step").GetInt64() > 0);
        // And it continues from there.
        var resumed = Prlstm("train", "--task", "even_pairs", "--model", "lstm", "--hidden", "8", "--batch-size", "8", "--steps",
            (state.RootElement.GetProperty("Step").GetInt64() + 5).ToString(), "--eval-lengths", "none", "--out", folder, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
    }

    [Fact]
    public void CompareKeepsFinishedRunsWhenRunAgain()
    {
        string folder = TempFolder();
        string[] args = { "compare", "--tasks", "even_pairs", "--models", "lstm,rnn", "--steps", "10", "--hidden", "4", "--batch-size",
            "4", "--log-every", "5",
            "--eval-lengths", "41", "--eval-batches", "1", "--eval-batch-size", "4", "--out", folder };
        var first = Prlstm(args);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("| even_pairs |", first.Output);
        Assert.True(File.Exists(Path.Combine(folder, "even_pairs", "rnn", "checkpoint.json")));
        var second = Prlstm(args);
        Assert.Equal(2, second.Output.Split("kept the finished run").Length - 1);
    }
}
