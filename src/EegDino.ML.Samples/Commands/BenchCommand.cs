using System.Diagnostics;
using System.Globalization;
using EegDino.ML.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Samples.Commands;

/// <summary>
/// <c>eegdino bench</c>: times the encoder forward pass of the released sizes (random weights: speed
/// does not depend on the values) on 19 x 2000 input, and in the same run the machine's float32
/// matmul peak, so the efficiency figures are comparable across noisy machines.
/// </summary>
internal sealed class BenchCommand : ICommand
{
    public string Name => "bench";

    public string Summary => "Time the encoder (Small/Medium/Large, batch 1/8/16) against the machine's matmul peak.";

    public string Usage => """
        usage: eegdino bench [--sizes small,medium,large] [--batches 1,8,16] [--repeats N] [--seconds S] [--threads N] [--profile]

          Times the encoder forward pass (inference, no autograd) on [B, 19, 2000] input: 3 warm-up runs, then
          at least N repeats (default 5, fewer for a case whose repeats would exceed S seconds, default
          60, but never fewer than 3). Prints the median and the best ms per forward, samples/s and
          GFLOP/s of the median, and both as % of the float32 matmul peak measured in the same run (best
          of square 2048 matmuls, before and after). The best-to-best ratio compares like with like; the
          median shows what a run typically gets on a noisy machine. --profile adds, per case, the median
          ms of the patch embedding, of one transformer layer (on the padded, masked sequence), of all
          layers in turn and of the whole forward pass, to see where a change lands.
        """;

    private const int Channels = 19;
    private const int Samples = 2000;

    /// <summary>Side of the square matmuls that measure the machine's peak.</summary>
    private const int PeakSize = 2048;

    /// <summary>
    /// Untimed forward passes before the timed ones. Three reach the steady state: with glibc's default
    /// malloc settings the first several passes page-fault on fresh memory (see EegDinoAllocator).
    /// </summary>
    private const int WarmupRuns = 3;

    public int Run(CommandArgs args)
    {
        var sizes = (args.Optional("sizes") ?? "small,medium,large").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => Enum.TryParse<EegDinoSize>(s, ignoreCase: true, out var size) ? size : throw new UsageException($"--sizes has '{s}'; small, medium or large was expected."))
            .ToList();
        var batches = (args.Optional("batches") ?? "1,8,16").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(b => int.TryParse(b, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"--batches has '{b}'; positive whole numbers were expected."))
            .ToList();
        int repeats = Math.Max(3, args.Int("repeats", 5));
        double budgetSeconds = args.Float("seconds", 60);
        int threads = args.Int("threads", 0);
        bool profile = args.Flag("profile");
        args.EnsureAllUsed();
        if (threads > 0) set_num_threads(threads);

        Console.WriteLine($"torch {__version__}, {get_num_threads()} threads, {Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        double peakBefore = MatmulPeak();
        Console.WriteLine($"float32 matmul peak: {peakBefore:F1} GFLOP/s");
        var rows = new List<(EegDinoSize Size, int Batch, double Ms, double BestMs, double Gflops, double BestGflops)>();
        foreach (var size in sizes)
        {
            var config = EegDinoConfig.FromPreset(size);
            using var network = RandomNetwork(config);
            double flops = FlopsPerSample(config, Channels, Samples);
            foreach (int batch in batches)
            {
                var (ms, best) = ForwardMs(network, batch, repeats, budgetSeconds);
                rows.Add((size, batch, ms, best, flops * batch / (ms / 1000) / 1e9, flops * batch / (best / 1000) / 1e9));
                Console.WriteLine($"  {size,-6} B={batch,-3} {ms,9:F1} ms (best {best:F1})  {batch / (ms / 1000),7:F1} samples/s  {rows[^1].Gflops,6:F1} GFLOP/s");
                if (profile) Profile(network, batch, repeats);
            }
        }
        double peak = Math.Max(peakBefore, MatmulPeak());
        Console.WriteLine();
        Console.WriteLine($"float32 matmul peak (best of before/after): {peak:F1} GFLOP/s; FLOPs per 19 x 2000 sample: " +
            string.Join(", ", sizes.Select(s => $"{s} {FlopsPerSample(EegDinoConfig.FromPreset(s), Channels, Samples) / 1e9:F2} G")));
        Console.WriteLine("| size | batch | ms / forward (median) | ms (best) | samples/s (median) | GFLOP/s (median) | % of peak (median) | % of peak (best) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Size} | {r.Batch} | {r.Ms:F1} | {r.BestMs:F1} | {r.Batch / (r.Ms / 1000):F1} | {r.Gflops:F1} | {100 * r.Gflops / peak:F0}% | {100 * r.BestGflops / peak:F0}% |"));
        return 0;
    }

    /// <summary>A network of the given architecture with random weights (normal, std 0.02; norms at 1).</summary>
    internal static EegDinoNetwork RandomNetwork(EegDinoConfig config, long seed = 0)
    {
        manual_seed(seed);
        var network = new EegDinoNetwork(config, numberOfClasses: null);
        using (no_grad())
        {
            foreach (var (name, parameter) in network.named_parameters())
            {
                if (name.Contains("norm", StringComparison.Ordinal) || name.Contains("proj_in.1", StringComparison.Ordinal)
                    || name.Contains("proj_in.4", StringComparison.Ordinal) || name.Contains("proj_in.7", StringComparison.Ordinal))
                    TorchScalars.FillInPlace(parameter, name.EndsWith("weight", StringComparison.Ordinal) ? 1 : 0);
                else
                    parameter.normal_(0, 0.02);
            }
        }
        network.eval();
        return network;
    }

    /// <summary>Median and best wall time of the forward passes after the warm-up runs.</summary>
    private static (double Median, double Best) ForwardMs(EegDinoNetwork network, int batch, int repeats, double budgetSeconds)
    {
        using var noGrad = no_grad();
        using var noise = randn(batch, Channels, Samples);
        using var input = TorchScalars.Multiply(noise, 0.3);
        var times = new List<double>();
        var watch = new Stopwatch();
        for (int i = 0; i < WarmupRuns + repeats; i++)
        {
            using var scope = NewDisposeScope();
            watch.Restart();
            network.Encode(input, null).Dispose();
            watch.Stop();
            if (i >= WarmupRuns) times.Add(watch.Elapsed.TotalMilliseconds);
            if (times.Count >= 3 && times.Sum() / 1000 > budgetSeconds) break;
        }
        times.Sort();
        return (times[times.Count / 2], times[0]);
    }

    /// <summary>Prints the median ms of the patch embedding, of the first transformer layer, of all layers in turn and of the whole forward pass.</summary>
    private static void Profile(EegDinoNetwork network, int batch, int repeats)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        EegDinoConfig config = network.Config;
        long patches = network.PatchCount(Samples), count = Channels * patches;
        Tensor input = TorchScalars.Multiply(randn(batch, Channels, patches, config.PatchSize), 0.3);
        double embed = MedianMs(() => network.PatchEmbedding.forward(input), repeats);
        long padded = (count + 15) / 16 * 16;
        Tensor tokens = randn(batch, padded, config.EmbeddingDim);
        Tensor mask = TorchScalars.LessThan(TorchScalars.Arange(padded, CPU), count).view(1, 1, 1, padded);
        TransformerEncoderLayer layer = network.Layers[0];
        double perLayer = MedianMs(() => layer.forward(tokens, mask), repeats);
        double allLayers = MedianMs(() =>
        {
            Tensor x = tokens;
            foreach (var l in network.Layers) x = l.forward(x, mask);
            return x;
        }, repeats);
        Tensor signal = TorchScalars.Multiply(randn(batch, Channels, Samples), 0.3);
        double whole = MedianMs(() => network.Encode(signal, null), repeats);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    patch embedding {embed:F1} ms; one layer {perLayer:F1} ms (x {config.NumberOfLayers} = {perLayer * config.NumberOfLayers:F0} ms); all layers in turn {allLayers:F0} ms; whole forward {whole:F0} ms"));
    }

    private static double MedianMs(Func<Tensor> body, int repeats)
    {
        var times = new List<double>();
        for (int i = 0; i < repeats + 1; i++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            body();
            if (i > 0) times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Best float32 GFLOP/s of square 2048 matmuls (a few tries: the machine is noisy).</summary>
    private static double MatmulPeak()
    {
        const int n = PeakSize;
        using var a = randn(n, n);
        using var b = randn(n, n);
        double best = 0;
        var watch = new Stopwatch();
        for (int i = 0; i < 8; i++)
        {
            watch.Restart();
            using var c = a.matmul(b);
            watch.Stop();
            if (i > 0) best = Math.Max(best, 2.0 * n * n * n / watch.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    /// <summary>
    /// Multiply-adds x 2 of the forward pass per sample: patch embedding (convolutions, spectral and
    /// channel projections) and per layer the qkv, attention, output projection and MLP matmuls.
    /// </summary>
    internal static double FlopsPerSample(EegDinoConfig config, int channels, int samples)
    {
        long patches = (samples + config.PatchSize - 1) / config.PatchSize;
        double tokens = channels * patches;
        double d = config.EmbeddingDim;
        double embedding = 0;
        int length = config.PatchSize, inChannels = 1;
        foreach (var c in config.Convolutions)
        {
            length = (length + 2 * c.Padding - c.Kernel) / c.Stride + 1;
            embedding += 2.0 * c.OutChannels * inChannels * c.Kernel * length;
            inChannels = c.OutChannels;
        }
        embedding = embedding * tokens + 2.0 * tokens * config.SpectralBins * d + 2.0 * tokens * d * 5;
        double layers = 0;
        for (int i = 0; i < config.NumberOfLayers; i++)
        {
            double n = i < config.GlobalTokenLayer ? tokens : tokens + config.NumberOfGlobalTokens;
            layers += 2 * n * d * 3 * d + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * config.FeedForwardDim;
        }
        return embedding + layers;
    }
}
