using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PrLstm.Experiments.Training;
using PrLstm.Runtime.Weights;
using static TorchSharp.torch;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>One run of a sweep, as a line of its manifest: where it goes (relative to the sweep folder) and all it needs.</summary>
public sealed record SweepEntry(int Index, string Folder, RunConfig Config, string EvalLengths, int EvalBatches, int EvalBatchSize,
    string Device)
{
    /// <summary>The evaluation settings ("none" evaluates nothing).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public Runs.EvalSettings Eval => new(EvalLengths == "none" ? null : Lengths.Parse(EvalLengths), EvalBatches, EvalBatchSize);
}

/// <summary>Slurm settings of a sweep's batch script.</summary>
public sealed record SlurmOptions(string? Partition, string? Time, int Cpus, string? Mem, string? Gpus, string? Account, int? MaxParallel,
    string Signal, IReadOnlyList<string> ExtraArgs);

/// <summary>
/// A grid of runs as a Slurm job array: a manifest (one JSON line per run), a batch script whose array task i runs
/// <c>prlstm run --manifest FILE --index i</c>, the same manifest run here without Slurm (<c>sweep --local</c>), and
/// the tables and plots of the finished runs (<c>collect</c>). Each run lives in its own folder with checkpoints, so a
/// preempted or timed-out task that Slurm requeues resumes where it stopped, and a finished one is skipped.
/// </summary>
public static class Sweeps
{
    public const string ManifestName = "manifest.jsonl", ScriptName = "sweep.sbatch", StatusName = "status.json";

    /// <summary>Set for the runs of <see cref="RunLocal"/>: they ignore Ctrl-C, which their parent turns into one SIGTERM each.</summary>
    public const string ParentHandlesCtrlC = "PRLSTM_PARENT_HANDLES_CTRL_C";

    private static readonly JsonSerializerOptions Line = new() { WriteIndented = false };

    /// <summary>The runs of the grid, in a stable order (task, model, learning rate, seed).</summary>
    public static List<SweepEntry> Grid(IReadOnlyList<RunConfig> configs, string evalLengths, int evalBatches, int evalBatchSize,
        string device) =>
        configs.Select((c, i) => new SweepEntry(i, RunFolder(c), c, evalLengths, evalBatches, evalBatchSize, device)).ToList();

    /// <summary>A run's folder inside the sweep: runs/&lt;task&gt;/&lt;model&gt;/seed&lt;s&gt;-lr&lt;lr&gt;.</summary>
    public static string RunFolder(RunConfig c) =>
        Path.Combine("runs", c.Task, c.Model, $"seed{c.Seed}-lr{c.LearningRate.ToString("G", CultureInfo.InvariantCulture)}");

    /// <summary>Seeds on the command line: "0-9", "0,3,7" or a mix.</summary>
    public static IReadOnlyList<ulong> ParseSeeds(string text)
    {
        var seeds = new List<ulong>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] ends = part.Split('-');
            if (ends.Length > 2 || !ulong.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong first)
                || !ulong.TryParse(ends[^1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong last) || last < first
                    || last - first >= 10_000)
                throw new FormatException($"--seeds: '{part}' is not a seed or a range of at most 10,000 seeds (write 0-9 or 0,3,7)");
            for (ulong seed = first; seed <= last && seed >= first; seed++) { seeds.Add(seed); if (seed == ulong.MaxValue) break; }
        }
        if (seeds.Count == 0) throw new FormatException("--seeds names no seed");
        return seeds.Distinct().ToList();
    }

    /// <summary>Learning rates on the command line: "1e-4,3e-4,5e-4".</summary>
    public static IReadOnlyList<double> ParseLearningRates(string text)
    {
        var rates = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate)
                || !(rate > 0 && rate <= RunLimits.MaxLearningRate))
                throw new FormatException($"--lrs: '{part}' is not a learning rate above 0 and at most {RunLimits.MaxLearningRate}");
            rates.Add(rate);
        }
        if (rates.Count == 0) throw new FormatException("--lrs names no learning rate");
        return rates.Distinct().ToList();
    }

    /// <summary>Writes the manifest and the batch script into the sweep folder; refuses a folder holding another sweep.</summary>
    public static (string Manifest, string Script) Write(string folder, IReadOnlyList<SweepEntry> entries, SlurmOptions slurm)
    {
        string manifest = Path.Combine(folder, ManifestName);
        string text = string.Concat(entries.Select(e => JsonSerializer.Serialize(e, Line) + "\n"));
        if (File.Exists(manifest) && File.ReadAllText(manifest) != text)
            throw new InvalidOperationException($"'{folder}' holds another sweep ({ManifestName} differs); choose another --out, or "
                + $"delete it to start over");
        Directory.CreateDirectory(Path.Combine(folder, "logs"));
        AtomicFile.WriteAllText(manifest, text);
        string script = Path.Combine(folder, ScriptName);
        AtomicFile.WriteAllText(script, Script(Path.GetFullPath(folder), entries.Count, slurm));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        return (manifest, script);
    }

    /// <summary>
    /// The sbatch script. Slurm sends SIGTERM to the batch shell <c>Signal</c> before the time limit; the shell passes it
    /// to prlstm, which saves a checkpoint and exits with 130, and the shell then requeues the array task, which resumes
    /// from that checkpoint. <c>--requeue</c> lets Slurm requeue it after a preemption or a node failure as well.
    /// </summary>
    public static string Script(string folder, int count, SlurmOptions s)
    {
        var (program, prefix) = Self();
        string command = string.Join(" ", new[] { program }.Concat(prefix).Select(Quote));
        string manifest = Quote(Path.Combine(folder, ManifestName));
        var text = new StringBuilder("#!/bin/bash\n");
        text.Append("# Written by prlstm sweep: one array task per line of manifest.jsonl. Submit with: sbatch sweep.sbatch\n");
        text.Append("#SBATCH --job-name=prlstm-sweep\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{count - 1}{(s.MaxParallel is int p ? $"%{p}" : "")}\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={Quote(Path.Combine(folder, "logs", "%A_%a.out"))}\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={s.Cpus}\n");
        text.Append(CultureInfo.InvariantCulture, $"#SBATCH --signal={s.Signal}\n");
        text.Append("#SBATCH --requeue\n");
        text.Append("#SBATCH --open-mode=append\n");
        if (s.Partition is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={s.Partition}\n");
        if (s.Time is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={s.Time}\n");
        if (s.Mem is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --mem={s.Mem}\n");
        if (s.Gpus is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --gpus={s.Gpus}\n");
        if (s.Account is not null) text.Append(CultureInfo.InvariantCulture, $"#SBATCH --account={s.Account}\n");
        foreach (string extra in s.ExtraArgs) text.Append(CultureInfo.InvariantCulture, $"#SBATCH {extra}\n");
        text.Append(CultureInfo.InvariantCulture, $$"""

            # prlstm saves a checkpoint on SIGTERM (exit 130); this shell forwards the signal, then requeues the task.
            child=
            trap 'kill -TERM "$child" 2>/dev/null' TERM
            {{command}} run --manifest {{manifest}} \
              --index "$SLURM_ARRAY_TASK_ID" --threads "${SLURM_CPUS_PER_TASK:-1}" &
            child=$!
            wait "$child"; status=$?
            while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done   # wait returns early when the trap runs
            if [ "$status" -eq 130 ]; then
              echo "prlstm sweep: task $SLURM_ARRAY_TASK_ID stopped with its checkpoint saved; requeueing it"
              scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
            fi
            exit "$status"

            """);
        return text.ToString();
    }

    /// <summary>How to start this program again: the apphost, or dotnet with this assembly.</summary>
    public static (string Program, string[] Prefix) Self()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string assembly = typeof(Sweeps).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? (process, new[] { assembly }) : (process, Array.Empty<string>());
    }

    private static string Quote(string word) =>
        word.All(c => char.IsLetterOrDigit(c) || "/._-%=:+,".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>Reads the manifest; every line must parse, with its index equal to its line number.</summary>
    public static List<SweepEntry> ReadManifest(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"There is no sweep manifest '{path}'.", path);
        var entries = new List<SweepEntry>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            SweepEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize<SweepEntry>(line, Line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' line {number} is not a sweep entry: {e.Message}");
            }
            if (entry is null || entry.Index != entries.Count || entry.Config.Problems() is { Count: > 0 }
                || Path.IsPathRooted(entry.Folder) || entry.Folder.Split('/', '\\').Contains(".."))
                throw new InvalidDataException($"'{path}' line {number} is not a valid sweep entry (index {entry?.Index}, folder "
                    + $"'{entry?.Folder}')");
            entries.Add(entry);
        }
        return entries;
    }

    /// <summary>A run's status file: running, finished, interrupted or failed (with the message).</summary>
    public sealed record Status(string State, string? Message, DateTime Utc);

    public static void WriteStatus(string runFolder, string state, string? message = null) =>
        AtomicFile.WriteAllText(Path.Combine(runFolder, StatusName),
            JsonSerializer.Serialize(new Status(state, message, DateTime.UtcNow), Line));

    public static Status? ReadStatus(string runFolder)
    {
        string path = Path.Combine(runFolder, StatusName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<Status>(File.ReadAllText(path), Line) : null;
        }
        catch (JsonException)
        {
            return new Status("failed", $"unreadable {StatusName}", DateTime.MinValue);
        }
    }

    /// <summary>
    /// Runs one entry of a manifest into its folder (locked while it runs): skipped when already finished, resumed when
    /// it has a checkpoint. Returns the exit code (130 when stopped by a signal, with the checkpoint saved).
    /// </summary>
    public static int RunOne(string manifestPath, int index, CancellationToken cancellation)
    {
        var entries = ReadManifest(manifestPath);
        if (index < 0 || index >= entries.Count)
            throw new ArgumentException($"--index {index} is outside the manifest's 0..{entries.Count - 1}");
        var entry = entries[index];
        string folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, entry.Folder);
        string title = $"{entry.Config.Model} on {entry.Config.Task} (seed {entry.Config.Seed}, lr "
            + $"{entry.Config.LearningRate.ToString("G", CultureInfo.InvariantCulture)})";
        using var folderLock = RunFolderLock.Acquire(folder);
        if (Runs.IsFinished(folder, entry.Config))
        {
            Console.WriteLine($"{title}: already finished in '{folder}'");
            return 0;
        }
        WriteStatus(folder, "running");
        try
        {
            var result = Runs.TrainAndEvaluate(entry.Config, folder, resume: Checkpoints.Exists(folder), entry.Eval,
                PrLstm.Runtime.Devices.Pick(entry.Device), cancellation, title);
            if (result is null)
            {
                WriteStatus(folder, "interrupted");
                return 130;
            }
            Reports.WriteAll(folder, new[] { result }, title);
            WriteStatus(folder, "finished");
            return 0;
        }
        catch (OperationCanceledException)
        {
            WriteStatus(folder, "interrupted");
            throw;
        }
        catch (Exception e)
        {
            WriteStatus(folder, "failed", e.Message.ReplaceLineEndings(" "));
            throw;
        }
    }

    /// <summary>Runs every entry here, <paramref name="parallel"/> at a time, each as its own process with one libtorch thread.</summary>
    public static int RunLocal(string folder, IReadOnlyList<SweepEntry> entries, int parallel, CancellationToken cancellation)
    {
        var (program, prefix) = Self();
        string manifest = Path.Combine(folder, ManifestName);
        var next = 0;
        var codes = new int[entries.Count];
        var gate = new object();
        var workers = Enumerable.Range(0, Math.Min(parallel, entries.Count)).Select(_ => Task.Run(() =>
        {
            while (true)
            {
                int index;
                lock (gate) index = next++;
                if (index >= entries.Count) return;
                var start = new ProcessStartInfo(program)
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false
                };
                start.Environment[ParentHandlesCtrlC] = "1";
                foreach (string arg in prefix.Concat(new[] { "run", "--manifest", manifest, "--index",
                    index.ToString(CultureInfo.InvariantCulture), "--threads", "1" }))
                    start.ArgumentList.Add(arg);
                using var process = Process.Start(start)!;
                using var log = new StreamWriter(Path.Combine(folder, "logs", $"local_{index}.out"), append: true) { AutoFlush = true };
                process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
                process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                // On Ctrl-C or SIGTERM here, each run gets one SIGTERM: it saves its checkpoint and stops.
                using (cancellation.Register(() =>
                {
                    try
                    {
                        Process.Start("kill",
                    new[] { "-TERM", process.Id.ToString(CultureInfo.InvariantCulture) })?.WaitForExit();
                    }
                    catch (Exception) { }
                }))
                    process.WaitForExit();
                codes[index] = process.ExitCode;
                lock (gate) Console.WriteLine($"run {index} ({entries[index].Folder}): "
                    + $"{(process.ExitCode == 0 ? "done" : $"exit {process.ExitCode}, see logs/local_{index}.out")}");
                if (cancellation.IsCancellationRequested) return;
            }
        }, CancellationToken.None)).ToArray();
        Task.WaitAll(workers);
        if (cancellation.IsCancellationRequested) return 130;
        return codes.All(c => c == 0) ? 0 : 1;
    }

    /// <summary>One run's place in the collected table.</summary>
    public sealed record CollectedRun(int Index, string Task, string Model, ulong Seed, double LearningRate, string Folder, string State,
        double? Score, string? Message);

    /// <summary>What <c>collect</c> writes: every run, the two aggregations, and the counts.</summary>
    public sealed record Collected(IReadOnlyList<CollectedRun> Runs, IReadOnlyList<Aggregate> Aggregates, int Finished, int Missing,
        int Failed);

    /// <summary>Per task and model: the best score over seeds and learning rates (as NNCH reports) and the seed-0 run (as the PR-LSTM
    /// paper).</summary>
    public sealed record Aggregate(string Task, string Model, double? MaxOverRuns, double? SeedZero, int Finished, int Total);

    /// <summary>Reads every run of a sweep and writes collected.json, collected.md and accuracy_&lt;task&gt;.png (the best run of each
    /// model).</summary>
    public static (Collected Result, IReadOnlyList<string> Files) Collect(string folder)
    {
        var entries = ReadManifest(Path.Combine(folder, ManifestName));
        var runs = new List<CollectedRun>();
        var results = new Dictionary<int, RunResult>();
        foreach (var e in entries)
        {
            string runFolder = Path.Combine(folder, e.Folder);
            var status = ReadStatus(runFolder);
            string state;
            string? message = null;
            double? score = null;
            try
            {
                state = Runs.IsFinished(runFolder, e.Config) ? "finished" : status?.State is "failed" ? "failed" : "missing";
                if (state == "finished")
                {
                    var result = Reports.Read(Path.Combine(runFolder, "results.json")).Single();
                    results[e.Index] = result;
                    score = result.Score is double s ? 100 * s : null;
                }
                else if (state == "failed") message = status?.Message;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException)
            {
                // A run whose files cannot be read is listed as failed with the reason, never left out.
                (state, message) = ("failed", ex.Message.ReplaceLineEndings(" "));
            }
            runs.Add(new CollectedRun(e.Index, e.Config.Task, e.Config.Model, e.Config.Seed, e.Config.LearningRate, e.Folder, state, score,
                message));
        }
        double firstLr = entries.Count > 0 ? entries[0].Config.LearningRate : 0;
        var aggregates = runs.GroupBy(r => (r.Task, r.Model)).Select(g => new Aggregate(g.Key.Task, g.Key.Model,
            g.Where(r => r.Score is not null).Select(r => r.Score).DefaultIfEmpty(null).Max(),
            g.FirstOrDefault(r => r.Seed == 0 && r.LearningRate == firstLr)?.Score,
            g.Count(r => r.State == "finished"), g.Count())).ToList();
        var collected = new Collected(runs, aggregates, runs.Count(r => r.State == "finished"), runs.Count(r => r.State == "missing"),
            runs.Count(r => r.State == "failed"));

        var files = new List<string>();
        string json = Path.Combine(folder, "collected.json");
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(collected, Reports.Json));
        files.Add(json);
        string markdown = Path.Combine(folder, "collected.md");
        AtomicFile.WriteAllText(markdown, Markdown(collected, firstLr));
        files.Add(markdown);
        foreach (var task in runs.Select(r => r.Task).Distinct())
        {
            var best = runs.Where(r => r.Task == task && r.Score is not null).GroupBy(r => r.Model)
                .Select(g => results[g.OrderByDescending(r => r.Score).First().Index]).ToList();
            if (best.Any(r => r.Lengths.Count > 0))
                files.Add(Plots.AccuracyByLength(Path.Combine(folder, $"accuracy_{task}.png"), task, best));
        }
        return (collected, files);
    }

    /// <summary>The Markdown of docs/results.md's tables: both aggregations, then every (seed, lr) score, then what is missing.</summary>
    public static string Markdown(Collected c, double firstLr)
    {
        string Cell(double? score) => score is double s ? s.ToString("F1", CultureInfo.InvariantCulture) : "–";
        var models = c.Runs.Select(r => r.Model).Distinct().ToList();
        var tasks = c.Runs.Select(r => r.Task).Distinct().ToList();
        var text = new StringBuilder("# Sweep results\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{c.Finished} finished, {c.Missing} missing, {c.Failed} failed of "
            + $"{c.Runs.Count} runs.\n\n");
        void Table(string title, Func<Aggregate, double?> pick)
        {
            text.Append("## ").Append(title).Append("\n\n| task | ").Append(string.Join(" | ", models)).Append(" |\n|---|")
                .Append(string.Concat(models.Select(_ => "---|"))).Append('\n');
            foreach (string task in tasks)
                text.Append("| ").Append(task).Append(" | ")
                    .Append(string.Join(" | ",
                        models.Select(m => c.Aggregates.FirstOrDefault(a => a.Task == task && a.Model == m) is { } a ? Cell(pick(a))
                            + (a.Finished < a.Total ? $" ({a.Finished}/{a.Total})" : "") : "–"))).Append(" |\n");
            text.Append('\n');
        }
        Table("Best over seeds and learning rates (as NNCH reports)", a => a.MaxOverRuns);
        Table($"Seed 0 at learning rate {firstLr.ToString("G", CultureInfo.InvariantCulture)} (as the PR-LSTM paper reports)",
            a => a.SeedZero);
        text.Append("## Every run\n\n| task | model | seed | lr | score | state |\n|---|---|---|---|---|---|\n");
        foreach (var r in c.Runs)
            text.Append(CultureInfo.InvariantCulture, $"| {r.Task} | {r.Model} | {r.Seed} | "
                + $"{r.LearningRate.ToString("G", CultureInfo.InvariantCulture)} | {Cell(r.Score)} | "
                    + $"{r.State}{(r.Message is null ? "" : ": " + r.Message.Replace("|", "\\|"))} |\n");
        var notFinished = c.Runs.Where(r => r.State != "finished").ToList();
        if (notFinished.Count > 0)
        {
            text.Append("\n## Not finished\n\n");
            foreach (var r in notFinished) text.Append(CultureInfo.InvariantCulture, $"- run {r.Index} `{r.Folder}`: "
                + $"{r.State}{(r.Message is null ? "" : " (" + r.Message + ")")}\n");
        }
        text.Append("\nScores: network score in percent over the evaluated lengths beyond the training range; (k/n): only k of the n runs "
            + "finished.\n");
        return text.ToString();
    }
}
