namespace EegDino.ML.Samples.Commands;

/// <summary>
/// One <c>eegdino</c> sub-command. Every non-abstract implementation in this assembly is found by
/// <see cref="Program"/>, so adding a command means adding one file.
/// </summary>
internal interface ICommand
{
    /// <summary>The word after <c>eegdino</c>, e.g. <c>encode</c>.</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The usage text printed by <c>eegdino NAME --help</c> and on a usage error.</summary>
    string Usage { get; }

    /// <summary>Runs the command and returns the process exit code.</summary>
    int Run(CommandArgs args);
}
