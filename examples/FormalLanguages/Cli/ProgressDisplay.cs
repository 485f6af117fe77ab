using PrLstm.Experiments.Training;
using Spectre.Console;

namespace PrLstm.FormalLanguages.Cli;

/// <summary>
/// Shows training progress: a live Spectre progress bar on a terminal; plain log lines when the output is
/// redirected (Spectre's live display prints nothing there), at most every few seconds.
/// </summary>
public static class ProgressDisplay
{
    public static T Run<T>(string title, long totalSteps, Func<IProgress<TrainingProgress>, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(new PlainLines(title));
        T result = default!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(),
                new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: Math.Max(1, totalSteps));
                result = work(new Progress<TrainingProgress>(p =>
                {
                    task.Value = p.Step;
                    task.Description = Markup.Escape($"{title}  step {p.Step}/{p.TotalSteps}  loss {p.Window.Loss:F4}  acc "
                        + $"{p.Window.Accuracy:F3}  {p.Window.StepsPerSecond:F1} steps/s");
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    public static string Duration(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1
        ? $"{t.Minutes}m{t.Seconds:D2}s" : $"{t.TotalSeconds:F0}s";

    /// <summary>Synchronous (IProgress from the Progress class would post to the thread pool and reorder lines).</summary>
    private sealed class PlainLines(string title) : IProgress<TrainingProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(TrainingProgress p)
        {
            if (p.Step != p.TotalSteps && DateTime.UtcNow - _last < TimeSpan.FromSeconds(5)) return;
            _last = DateTime.UtcNow;
            Console.WriteLine($"{title}  step {p.Step}/{p.TotalSteps}  loss {p.Window.Loss:F4}  acc {p.Window.Accuracy:F3}  "
                + $"{p.Window.StepsPerSecond:F1} steps/s  elapsed {Duration(p.Elapsed)}  ETA {Duration(p.Remaining)}");
        }
    }
}
