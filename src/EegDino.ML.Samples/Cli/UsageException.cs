namespace EegDino.ML.Samples.Cli;

/// <summary>
/// A command line that does not fit the command: a bad or missing value found while the command
/// runs (e.g. a window longer than every recording). Exit code 2, like a parse error.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
