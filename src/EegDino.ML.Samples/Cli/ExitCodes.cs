namespace EegDino.ML.Samples.Cli;

/// <summary>The exit codes of every <c>eegdino</c> command (documented in README.md, docs/cli.md and <c>eegdino --help</c>).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Ok = 0;

    /// <summary>The command failed, or did part of the work (e.g. <c>embed</c> skipped unreadable recordings).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: an unknown command or option, a missing or bad value.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>The table printed by <c>eegdino --help</c> and docs/cli.md.</summary>
    public const string Description = "exit codes: 0 ok, 1 failure or partial failure, 2 usage error (unknown option, bad value), 130 interrupted (Ctrl+C)";
}
