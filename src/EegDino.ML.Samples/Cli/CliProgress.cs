using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace EegDino.ML.Samples.Cli;

/// <summary>One task of a long command: steps done out of a total, and a line of status.</summary>
internal interface IProgressTask
{
    /// <summary>Marks <paramref name="steps"/> more steps done and sets the status shown beside the bar.</summary>
    void Advance(double steps, string? status = null);

    /// <summary>Prints a line above the bar (or among the progress lines).</summary>
    void Log(string line);
}

/// <summary>
/// Progress of a long command: a live bar (with elapsed and remaining time) when stdout is an
/// interactive terminal, plain lines otherwise (redirected to a file, a pipe or a test), so logs
/// stay readable. <c>embed</c>, <c>encode</c>, <c>train-classifier</c>, <c>bench</c> and
/// <c>demo</c> report through it.
/// </summary>
internal static class CliProgress
{
    /// <summary>Whether progress is drawn as a live bar (an interactive terminal) rather than as lines.</summary>
    public static bool Live => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="body"/> with one progress task of <paramref name="total"/> steps.</summary>
    public static T Run<T>(string description, double total, Func<IProgressTask, T> body)
    {
        if (!Live) return body(new LineTask(description, total));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1));
                result = body(new BarTask(task, description));
            });
        return result;
    }

    /// <summary>As <see cref="Run{T}"/>, for a body without a result.</summary>
    public static void Run(string description, double total, Action<IProgressTask> body) =>
        Run(description, total, task => { body(task); return 0; });

    private sealed class BarTask(ProgressTask task, string description) : IProgressTask
    {
        public void Advance(double steps, string? status = null)
        {
            if (status is not null) task.Description = Markup.Escape($"{description}: {status}");
            task.Increment(steps);
        }

        public void Log(string line) => AnsiConsole.WriteLine(line);
    }

    /// <summary>Prints "description: done/total (elapsed) status" for every step.</summary>
    private sealed class LineTask(string description, double total) : IProgressTask
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private double _done;

        public void Advance(double steps, string? status = null)
        {
            _done += steps;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{_done:0.##}/{total:0.##}] {description}, {_watch.Elapsed.TotalSeconds:F1} s{(status is null ? "" : ": " + status)}"));
        }

        public void Log(string line) => Console.WriteLine(line);
    }
}
