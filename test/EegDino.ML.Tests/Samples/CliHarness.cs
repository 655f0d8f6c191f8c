using EegDino.ML.Samples.Cli;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Testing;

namespace EegDino.ML.Tests.Samples;

/// <summary>The settings a command line parsed to, carried out of the command before it runs.</summary>
internal sealed class ParsedOnly(CommandSettings settings) : Exception("parsed")
{
    public CommandSettings Settings { get; } = settings;
}

/// <summary>
/// Runs the <c>eegdino</c> app in-process: <see cref="Run(string[])"/> as the executable does (deprecated
/// spellings, error lines, exit codes) with stdout and stderr captured, and <see cref="Parse{T}"/>
/// through Spectre.Console.Cli's <see cref="CommandAppTester"/>, stopping before the command runs.
/// Console redirection is process-wide: the suite runs serially (TestSupport/SerialExecution.cs).
/// </summary>
internal static class CliHarness
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args) => Run(CancellationToken.None, args);

    public static Result Run(CancellationToken cancellationToken, params string[] args)
    {
        TextWriter previousOut = Console.Out, previousError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = EegDinoCli.Run(args, cancellationToken);
            return new Result(code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    /// <summary>A tester configured as the app, examples validated.</summary>
    public static CommandAppTester Tester(bool stopBeforeRunning)
    {
        var tester = new CommandAppTester();
        tester.Configure(c =>
        {
            EegDinoCli.Configure(c);
            c.ValidateExamples();
            if (!stopBeforeRunning) return;
            c.PropagateExceptions();
            c.SetInterceptor(new CallbackCommandInterceptor((_, settings) => throw new ParsedOnly(settings)));
        });
        return tester;
    }

    /// <summary>The settings <paramref name="args"/> parse to (deprecated spellings rewritten first); the command does not run. A parse or validation error is thrown as it is.</summary>
    public static T Parse<T>(params string[] args) where T : CommandSettings
    {
        string[] rewritten = DeprecatedOptions.Rewrite(args, TextWriter.Null);
        try
        {
            Tester(stopBeforeRunning: true).Run(rewritten);
        }
        catch (ParsedOnly parsed)
        {
            return (T)parsed.Settings;
        }
        throw new AssertFailedException($"eegdino {string.Join(' ', args)} ran instead of stopping before the command.");
    }
}
