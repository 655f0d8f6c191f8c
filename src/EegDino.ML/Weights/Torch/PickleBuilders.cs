using System.Text;

namespace EegDino.ML.Weights.Torch;

/// <summary>
/// The builders REDUCE may run (allowed by <see cref="PicklePolicy"/>), each a small C# function
/// over plain data: the Python containers torch.save writes through REDUCE, and the torch ones of
/// <see cref="TorchRebuilders"/>.
/// </summary>
internal static class PickleBuilders
{
    /// <summary>Runs the builder <paramref name="name"/> on <paramref name="args"/>.</summary>
    /// <param name="name">A name of <see cref="PicklePolicy.Builders"/>.</param>
    /// <param name="args">REDUCE's arguments.</param>
    /// <param name="fail">Makes the exception for a malformed call (the machine adds opcode and offset).</param>
    public static object? Build(string name, object?[] args, Func<string, Exception> fail)
    {
        if (TorchRebuilders.TryBuild(name, args, fail, out object? tensor)) return tensor;
        return name switch
        {
            "collections.OrderedDict" => OrderedDict(args, fail),
            "_codecs.encode" => Encode(args, fail),
            "builtins.set" or "builtins.frozenset" => Set(name, args, fail),
            _ => throw fail($"no builder for {name}"),
        };
    }

    private static PickleDict OrderedDict(object?[] args, Func<string, Exception> fail)
    {
        var dict = new PickleDict();
        if (args.Length == 0) return dict;
        if (args.Length != 1) throw fail($"OrderedDict with {args.Length} arguments");
        IEnumerable<object?> pairs = args[0] switch
        {
            PickleList l => l.Items,
            PickleTuple t => t.Items,
            PickleDict d => d.Items.Select(kv => (object?)new PickleTuple([kv.Key, kv.Value])),
            _ => throw fail($"OrderedDict from {PickleValue.Describe(args[0])}"),
        };
        foreach (object? pair in pairs)
        {
            object?[] kv = pair switch
            {
                PickleTuple t when t.Items.Length == 2 => t.Items,
                PickleList l when l.Items.Count == 2 => [.. l.Items],
                _ => throw fail($"OrderedDict item {PickleValue.Describe(pair)} (a pair expected)"),
            };
            dict.Set(kv[0], kv[1]);
        }
        return dict;
    }

    // Protocol 2 writes Python 3 bytes as _codecs.encode(str, 'latin1').
    private static byte[] Encode(object?[] args, Func<string, Exception> fail)
    {
        if (args.Length != 2 || args[0] is not string text || args[1] is not string encoding) throw fail("_codecs.encode needs (str, encoding)");
        return encoding.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() switch
        {
            "latin1" or "latin" or "iso88591" => Encoding.Latin1.GetBytes(text),
            "utf8" => Encoding.UTF8.GetBytes(text),
            "ascii" => Encoding.ASCII.GetBytes(text),
            _ => throw fail($"_codecs.encode with encoding '{encoding}'"),
        };
    }

    private static PickleSet Set(string name, object?[] args, Func<string, Exception> fail)
    {
        var set = new PickleSet(frozen: name.EndsWith("frozenset", StringComparison.Ordinal));
        if (args.Length == 1 && args[0] is PickleList l) set.Items.AddRange(l.Items);
        else if (args.Length == 1 && args[0] is PickleTuple t) set.Items.AddRange(t.Items);
        else if (args.Length != 0) throw fail($"{name} from {string.Join(", ", args.Select(PickleValue.Describe))}");
        return set;
    }
}
