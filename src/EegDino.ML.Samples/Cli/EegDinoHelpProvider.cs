using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace EegDino.ML.Samples.Cli;

/// <summary>Spectre.Console.Cli's generated help, with the exit codes at the end of every page.</summary>
internal sealed class EegDinoHelpProvider(ICommandAppSettings settings) : HelpProvider(settings)
{
    public override IEnumerable<IRenderable> GetFooter(ICommandModel model, ICommandInfo? command) =>
        [.. base.GetFooter(model, command), new Text(Environment.NewLine + char.ToUpperInvariant(ExitCodes.Description[0]) + ExitCodes.Description[1..] + Environment.NewLine)];
}
