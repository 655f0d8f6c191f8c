using System.Reflection;
using EegDino.ML;
using EegDino.ML.Samples.Commands;

namespace EegDino.ML.Samples;

/// <summary>The <c>eegdino</c> command-line app: <c>eegdino COMMAND [options]</c>.</summary>
internal static class Program
{
    private static int Main(string[] argv)
    {
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICommand)Activator.CreateInstance(t, nonPublic: true)!)
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToDictionary(c => c.Name, StringComparer.Ordinal);

        if (argv.Length == 0 || argv[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine("usage: eegdino COMMAND [options]   (eegdino COMMAND --help for details)");
            Console.WriteLine();
            foreach (var c in commands.Values) Console.WriteLine($"  {c.Name,-17} {c.Summary}");
            return argv.Length == 0 ? 2 : 0;
        }

        if (!commands.TryGetValue(argv[0], out ICommand? command))
        {
            Console.Error.WriteLine($"eegdino: unknown command '{argv[0]}'. Commands: {string.Join(", ", commands.Keys)}.");
            return 2;
        }

        // Forward passes reuse freed memory instead of page-faulting on fresh pages (see EegDinoAllocator).
        EegDinoAllocator.ConfigureForThroughput();
        var args = new CommandArgs(argv.Skip(1));
        if (args.Help)
        {
            Console.WriteLine(command.Usage);
            return 0;
        }
        try
        {
            return command.Run(args);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"eegdino {command.Name}: {e.Message}");
            Console.Error.WriteLine(command.Usage);
            return 2;
        }
        catch (Exception e) when (e is EegDinoException or IOException or ArgumentException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"eegdino {command.Name}: {e.Message}");
            return 1;
        }
    }
}
