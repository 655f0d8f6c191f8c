using System.Globalization;

namespace EegDino.ML.Samples.Commands;

/// <summary>Thrown for a command line that does not fit the command's usage.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A parsed command line: <c>--name value</c> options (repeatable, see <see cref="All"/>),
/// <c>--flag</c> switches and positional arguments. Options are consumed as they are read; <see cref="EnsureAllUsed"/> reports leftovers,
/// so a typo in an option name is an error rather than silently ignored.
/// </summary>
internal sealed class CommandArgs
{
    private readonly Dictionary<string, List<string?>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CommandArgs(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal)) { value = list[++i]; }
                if (!_options.TryGetValue(name, out var values)) _options[name] = values = [];
                values.Add(value);
            }
            else
            {
                positional.Add(a);
            }
        }
        Positional = positional;
    }

    public IReadOnlyList<string> Positional { get; }

    public bool Help
    {
        get
        {
            if (!_options.ContainsKey("help")) return false;
            _used.Add("help");
            return true;
        }
    }

    public bool Flag(string name)
    {
        if (!_options.TryGetValue(name, out var values)) return false;
        _used.Add(name);
        if (values.FirstOrDefault(v => v is not null) is string v) throw new UsageException($"--{name} is a switch and takes no value (found '{v}').");
        return true;
    }

    /// <summary>The value of an option given at most once, or null when absent.</summary>
    public string? Optional(string name)
    {
        var all = All(name);
        if (all.Count > 1) throw new UsageException($"--{name} is given {all.Count} times; once was expected.");
        return all.Count == 0 ? null : all[0];
    }

    /// <summary>Every value of a repeatable option, in command-line order.</summary>
    public IReadOnlyList<string> All(string name)
    {
        if (!_options.TryGetValue(name, out var values)) return [];
        _used.Add(name);
        return values.Select(v => v ?? throw new UsageException($"--{name} needs a value.")).ToList();
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required.");

    public int Int(string name, int defaultValue)
    {
        string? v = Optional(name);
        if (v is null) return defaultValue;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r)
            ? r : throw new UsageException($"--{name} is '{v}'; a whole number was expected.");
    }

    public float Float(string name, float defaultValue)
    {
        string? v = Optional(name);
        if (v is null) return defaultValue;
        return float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out float r)
            ? r : throw new UsageException($"--{name} is '{v}'; a number was expected.");
    }

    public void EnsureAllUsed()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException("Unknown option(s): " + string.Join(", ", unknown.Select(k => "--" + k)) + ".");
    }
}
