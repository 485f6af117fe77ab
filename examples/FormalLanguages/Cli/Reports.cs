using System.Globalization;
using System.Text;
using System.Text.Json;
using PrLstm.Experiments.Training;
using PrLstm.Runtime.Weights;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>One trained and scored model on one task, as written to results.json.</summary>
public sealed record RunResult(
    string Task, string Model, int Hidden, int Layers, long Steps, int BatchSize, ulong Seed, int MaxTrainLength, long Parameters,
    double? Score, IReadOnlyList<LengthAccuracy> Lengths, IReadOnlyList<TrainingLogEntry> History,
    double TrainingSeconds, double EvaluationSeconds, string? Stopped);

/// <summary>Writes results.json, results.md and the PNG plots of a set of runs.</summary>
public static class Reports
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals
    };

    public static IReadOnlyList<string> WriteAll(string folder, IReadOnlyList<RunResult> runs, string title)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        string json = Path.Combine(folder, "results.json");
        AtomicFile.WriteAllText(json, JsonSerializer.Serialize(runs, Json));
        written.Add(json);
        string markdown = Path.Combine(folder, "results.md");
        AtomicFile.WriteAllText(markdown, "# " + title + "\n\n" + Table(runs) + "\n" + Details(runs));
        written.Add(markdown);
        foreach (var task in runs.Select(r => r.Task).Distinct())
        {
            var taskRuns = runs.Where(r => r.Task == task).ToList();
            if (taskRuns.Any(r => r.Lengths.Count > 0)) written.Add(Plots.AccuracyByLength(Path.Combine(folder, $"accuracy_{task}.png"),
                task, taskRuns));
            if (taskRuns.Any(r => r.History.Count > 0)) written.Add(Plots.TrainingCurves(Path.Combine(folder, $"training_{task}.png"),
                task, taskRuns));
        }
        return written;
    }

    /// <summary>Tasks as rows, models as columns, network scores in percent.</summary>
    public static string Table(IReadOnlyList<RunResult> runs)
    {
        var models = runs.Select(r => r.Model).Distinct().ToList();
        var text = new StringBuilder();
        text.Append("| task | ").Append(string.Join(" | ", models)).Append(" |\n");
        text.Append("|---|").Append(string.Concat(models.Select(_ => "---|"))).Append('\n');
        foreach (var task in runs.Select(r => r.Task).Distinct())
        {
            text.Append("| ").Append(task);
            foreach (var model in models)
            {
                var run = runs.FirstOrDefault(r => r.Task == task && r.Model == model);
                text.Append(" | ").Append(run?.Score is double s ? (100 * s).ToString("F1", CultureInfo.InvariantCulture) : "–");
            }
            text.Append(" |\n");
        }
        return text.ToString();
    }

    private static string Details(IReadOnlyList<RunResult> runs)
    {
        var text = new StringBuilder("\n| task | model | H | layers | steps | batch | seed | parameters | train time | eval time | "
            + "lengths | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in runs)
        {
            string lengths = r.Lengths.Count == 0 ? "–" : $"{r.Lengths.Count} ({r.Lengths[0].Length}..{r.Lengths[^1].Length})";
            text.Append(CultureInfo.InvariantCulture, $"| {r.Task} | {r.Model} | {r.Hidden} | {r.Layers} | {r.Steps} | {r.BatchSize} | "
                + $"{r.Seed} | {r.Parameters:N0} | {ProgressDisplay.Duration(TimeSpan.FromSeconds(r.TrainingSeconds))} | "
                    + $"{ProgressDisplay.Duration(TimeSpan.FromSeconds(r.EvaluationSeconds))} | {lengths} | {r.Stopped ?? ""} |\n");
        }
        return text.Append("\nScores: network score in percent, the mean of the per-length accuracies over the evaluated lengths beyond "
            + "the training range 1..").Append(runs.Max(r => r.MaxTrainLength)).Append(".\n").ToString();
    }

    /// <summary>Reads a results.json written by <see cref="WriteAll"/>.</summary>
    public static IReadOnlyList<RunResult> Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<List<RunResult>>(File.ReadAllText(path), Json) ?? throw new JsonException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid results file: {e.Message}");
        }
    }
}

/// <summary>The PNG plots (ScottPlot).</summary>
public static class Plots
{
    /// <summary>The paper's length-generalisation picture: accuracy against test length, one line per model.</summary>
    public static string AccuracyByLength(string path, string task, IReadOnlyList<RunResult> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var run in runs.Where(r => r.Lengths.Count > 0))
        {
            var line = plot.Add.Scatter(run.Lengths.Select(l => (double)l.Length).ToArray(), run.Lengths.Select(l => l.Accuracy).ToArray());
            line.LegendText = run.Score is double s ? $"{run.Model} (score {100 * s:F1})" : run.Model;
            line.MarkerSize = run.Lengths.Count > 60 ? 0 : 5;
            line.LineWidth = 2;
        }
        int trained = runs.Max(r => r.MaxTrainLength);
        var edge = plot.Add.VerticalLine(trained);
        edge.LinePattern = ScottPlot.LinePattern.Dashed;
        edge.Color = ScottPlot.Colors.Gray;
        edge.LegendText = $"trained on 1..{trained}";
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Title($"{task}: accuracy by input length");
        plot.XLabel("input length");
        plot.YLabel("accuracy (masked, pooled)");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        SavePng(plot, path);
        return path;
    }

    /// <summary>Writes a plot as a 900 x 520 PNG atomically, so that an interrupted save never leaves half an image.</summary>
    public static void SavePng(ScottPlot.Plot plot, string path)
    {
        byte[] png = plot.GetImageBytes(900, 520, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>Training loss (left axis) and training accuracy (right axis) against step, per model.</summary>
    public static string TrainingCurves(string path, string task, IReadOnlyList<RunResult> runs)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var run in runs.Where(r => r.History.Count > 0))
        {
            var color = palette.GetColor(i++);
            double[] steps = run.History.Select(h => (double)h.Step).ToArray();
            var loss = plot.Add.Scatter(steps, run.History.Select(h => h.Loss).ToArray());
            loss.LegendText = $"{run.Model} loss";
            loss.Color = color;
            loss.MarkerSize = 0;
            var accuracy = plot.Add.Scatter(steps, run.History.Select(h => h.Accuracy).ToArray());
            accuracy.LegendText = $"{run.Model} accuracy";
            accuracy.Color = color;
            accuracy.MarkerSize = 0;
            accuracy.LinePattern = ScottPlot.LinePattern.Dotted;
            accuracy.Axes.YAxis = plot.Axes.Right;
        }
        plot.Title($"{task}: training");
        plot.XLabel("step");
        plot.Axes.Left.Label.Text = "loss (solid)";
        plot.Axes.Right.Label.Text = "accuracy (dotted)";
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        SavePng(plot, path);
        return path;
    }
}
