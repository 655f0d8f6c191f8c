using System.Globalization;
using EegDino.ML;
using EegDino.ML.OnnxSpeed;

// Usage: [--model PATH] [--rounds N] [--what speed|spectrum|all]
// Default: the Small-preset fixture weights (random; the same file the eegdino app bundles).
string model = Path.Combine(AppContext.BaseDirectory, "../../../../EegDino.ML.Tests/TestData/fixtures/small.weights.safetensors");
int rounds = 9;
string what = "all";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--model": model = args[i + 1]; break;
        case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        case "--what": what = args[i + 1]; break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}; expected --model, --rounds or --what."); return 2;
    }
}

EegDinoAllocator.ConfigureForThroughput();
Console.WriteLine($"processor: {Processor()}; {Environment.ProcessorCount} logical cores");
if (what is "spectrum" or "all") SpectrumComparison.Run(Console.Out, rounds * 4);
if (what is "speed" or "all") OnnxSpeedComparison.Run(Console.Out, Path.GetFullPath(model), [1, 8], rounds);
return 0;

static string Processor()
{
    try
    {
        string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line?.Split(':', 2)[1].Trim() ?? "unknown";
    }
    catch (IOException)
    {
        return "unknown";
    }
}
