namespace EegDino.ML.Samples.Cli;

/// <summary>
/// The option spellings of release 0.1, accepted for one more release: each is rewritten to its
/// new name before parsing, with a one-line notice on stderr. They are not in the help. To retire
/// them, empty <see cref="Renamed"/> and drop the positional rule in <see cref="Rewrite"/>.
/// </summary>
internal static class DeprecatedOptions
{
    /// <summary>Per command: old option name -> new option name.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Renamed =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal)
        {
            ["demo"] = new Dictionary<string, string> { ["--output-dir"] = "--output" },
            ["train-classifier"] = new Dictionary<string, string>
            {
                ["--window"] = "--window-seconds",
                ["--stride"] = "--stride-seconds",
                ["--batch"] = "--batch-size",
                ["--save"] = "--output",
            },
            ["bench"] = new Dictionary<string, string> { ["--batches"] = "--batch-sizes" },
            ["mlnet-bench"] = new Dictionary<string, string> { ["--batch"] = "--batch-size", ["--config-json"] = "--config" },
            ["mlnet-trainers"] = new Dictionary<string, string> { ["--config-json"] = "--config", ["--save"] = "--output" },
        };

    /// <summary>
    /// The arguments with every old spelling replaced by the new one; a notice per replacement goes
    /// to <paramref name="notices"/>. <c>convert IN OUT</c> (the output as a second positional
    /// argument) becomes <c>convert IN --output OUT</c>.
    /// </summary>
    public static string[] Rewrite(IReadOnlyList<string> args, TextWriter notices)
    {
        if (args.Count == 0) return [];
        string command = args[0];
        var result = new List<string>(args.Count) { command };
        Renamed.TryGetValue(command, out var renamed);
        for (int i = 1; i < args.Count; i++)
        {
            string a = args[i];
            if (a == "--") { result.AddRange(args.Skip(i)); break; }
            int eq = a.IndexOf('=');
            string name = eq > 0 ? a[..eq] : a;
            if (renamed is not null && renamed.TryGetValue(name, out string? newName))
            {
                notices.WriteLine($"eegdino {command}: {name} is deprecated and will be removed in the next release; use {newName}.");
                a = eq > 0 ? newName + a[eq..] : newName;
            }
            result.Add(a);
        }
        if (command == "convert") RewriteConvertOutput(result, notices);
        return [.. result];
    }

    /// <summary>Options of <c>convert</c> that take a value (so the word after them is not a positional argument).</summary>
    private static readonly HashSet<string> ConvertValueOptions = new(StringComparer.Ordinal) { "--source", "--dtype", "--config", "--output" };

    private static void RewriteConvertOutput(List<string> args, TextWriter notices)
    {
        var positions = new List<int>();
        bool hasOutput = false;
        for (int i = 1; i < args.Count; i++)
        {
            string a = args[i];
            if (a.StartsWith('-'))
            {
                string name = a.Split('=')[0];
                hasOutput |= name == "--output";
                if (ConvertValueOptions.Contains(name) && !a.Contains('=')) i++;
                continue;
            }
            positions.Add(i);
        }
        if (hasOutput || positions.Count != 2) return;
        int at = positions[1];
        notices.WriteLine($"eegdino convert: the output as a second argument is deprecated and will be removed in the next release; use --output {args[at]}.");
        args.Insert(at, "--output");
    }
}
