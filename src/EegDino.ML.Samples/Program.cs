using EegDino.ML.Samples.Cli;

namespace EegDino.ML.Samples;

/// <summary>The <c>eegdino</c> command-line app: <c>eegdino COMMAND [options]</c> (see <see cref="EegDinoCli"/>).</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        // Forward passes reuse freed memory instead of page-faulting on fresh pages (see EegDinoAllocator).
        EegDinoAllocator.ConfigureForThroughput();
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (interrupt.IsCancellationRequested) return; // a second Ctrl+C ends the process at once
            e.Cancel = true;
            interrupt.Cancel();
            Console.Error.WriteLine("interrupt: stopping at the next safe point (Ctrl+C again to stop at once).");
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return EegDinoCli.Run(args, interrupt.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
