using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// Turns any exception that reaches the command line into one line of text and an exit code: the
/// wrappers that reflection, tasks and ML.NET put around the real error are removed, and .NET's
/// "(Parameter 'x')" and "Actual value was" tails are cut, so the user reads the library's message.
/// No stack trace is ever printed.
/// </summary>
internal static partial class CliErrors
{
    /// <summary>The exit code and the message for <paramref name="exception"/>.</summary>
    public static (int ExitCode, string Message) Describe(Exception exception)
    {
        Exception e = Unwrap(exception);
        return e switch
        {
            CommandParseException or CommandRuntimeException or UsageException => (ExitCodes.Usage, Clean(e.Message)),
            OperationCanceledException => (ExitCodes.Interrupted, "interrupted."),
            NotSupportedException when e.Message.Contains("Precision", StringComparison.Ordinal) =>
                (ExitCodes.Failure, $"{Clean(e.Message)} (this build of EegDino.ML computes only in float32: use --precision fp32)"),
            EegDinoException or ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException
                or NotSupportedException or FormatException or InvalidOperationException => (ExitCodes.Failure, Clean(e.Message)),
            _ => (ExitCodes.Failure, $"unexpected {e.GetType().Name}: {Clean(e.Message)}"),
        };
    }

    /// <summary>
    /// The exception that says what went wrong: reflection's, tasks' and type initialisers' wrappers
    /// are removed, and so is an <see cref="InvalidOperationException"/> that only wraps another
    /// exception (ML.NET wraps errors of a component it instantiates that way).
    /// </summary>
    public static Exception Unwrap(Exception exception)
    {
        Exception e = exception;
        for (int depth = 0; depth < 32; depth++)
        {
            Exception? inner = e switch
            {
                TargetInvocationException or TypeInitializationException => e.InnerException,
                AggregateException { InnerExceptions.Count: 1 } a => a.InnerExceptions[0],
                InvalidOperationException when e.InnerException is not null && e.GetType() == typeof(InvalidOperationException) => e.InnerException,
                _ => null,
            };
            if (inner is null) return e;
            e = inner;
        }
        return e;
    }

    /// <summary>The message on one line, without .NET's parameter-name and actual-value tails.</summary>
    public static string Clean(string message)
    {
        string text = ParameterTail().Replace(message, "");
        text = ActualValueTail().Replace(text, "");
        return string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [GeneratedRegex(@" ?\(Parameter '[^']*'\)")]
    private static partial Regex ParameterTail();

    [GeneratedRegex(@"\s*Actual value was [^\r\n]*\.")]
    private static partial Regex ActualValueTail();
}
