using System.Diagnostics;
using System.Globalization;
using CsCheck;
using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Hardening;

/// <summary>
/// Property: whatever configuration a model file declares, loading it either gives a working encoder
/// (finite outputs) or refuses with an <see cref="EegDinoException"/> or <see cref="ArgumentException"/>,
/// promptly, without the process growing by more than a bounded working set. The tiny fixture's
/// weights carry a fuzzed configuration in their safetensors metadata, whole or key by key.
/// </summary>
[TestClass]
public sealed class ModelConfigurationFuzzTests
{
    private const int Iterations = 300;
    private const long HangMilliseconds = 60_000;
    private const long MaxGrowthBytes = 2L << 30;

    private static readonly long[] Hostile = [0, 1, 2, 3, 4, 5, 8, 19, 40, 64, 200, 4096, 16_384, 16_385, 100_000, int.MaxValue, -1, -200, long.MaxValue];

    private static readonly Gen<long> Value = Gen.OneOf(Gen.Int[0, Hostile.Length - 1].Select(i => Hostile[i]), Gen.Int[-10, 300].Select(i => (long)i));

    private static readonly string[] Keys = ["n_layer", "nhead", "dim_feedforward", "n_channel_embeddings", "n_global_tokens", "global_token_layer", "patch_size"];

    private static readonly Gen<string> Conv = Gen.Select(Value, Value, Value, Value, Value, Value)
        .Select((c, k, s, p, g, n) => $"[{c}, {k}, {s}, {p}, [{g}, {n}]]");

    private static readonly Gen<Dictionary<string, string>> Metadata = Gen.Select(
        Gen.Bool, Gen.Int[0, Keys.Length], Gen.Int[0, Keys.Length - 1].Array[0, Keys.Length], Value.Array[Keys.Length], Conv.Array[0, 3], Gen.Bool)
        .Select((whole, count, which, values, convs, withConvs) =>
        {
            var chosen = which.Take(count).Distinct().ToDictionary(i => Keys[i], i => values[i].ToString(CultureInfo.InvariantCulture));
            if (withConvs) chosen["channels_kernel_stride_padding_norm"] = "[" + string.Join(", ", convs) + "]";
            return whole
                ? new Dictionary<string, string> { ["config"] = "{" + string.Join(", ", chosen.Select(kv => $"\"{kv.Key}\": {kv.Value}")) + "}" }
                : chosen;
        });

    /// <summary>The tiny fixture's own configuration with one key changed: near misses of a working model.</summary>
    private static readonly Gen<Dictionary<string, string>> NearMiss = Gen.Select(Gen.Int[0, Keys.Length], Value, Gen.Int[-1, 1])
        .Select((key, value, delta) =>
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(Fixtures.Config("tiny").ToJson())!.AsObject();
            if (key < Keys.Length)
                json[Keys[key]] = delta == 0 ? value : json[Keys[key]]!.GetValue<int>() + delta;
            return new Dictionary<string, string> { ["config"] = json.ToJsonString() };
        });

    [TestMethod]
    public void FuzzedConfigurationsLoadOrAreRefused()
    {
        var (tensors, _) = SafetensorsReader.Read(Fixtures.Weights("tiny"));
        float[] input = Fixtures.Synthetic(4, 400);
        long baseline = Process.GetCurrentProcess().WorkingSet64, slowest = 0;
        int loaded = 0, refused = 0;
        Gen.OneOf(Metadata, NearMiss).Sample(metadata =>
        {
            using var stream = new MemoryStream();
            SafetensorsWriter.Write(stream, tensors, metadata);
            stream.Position = 0;
            var watch = Stopwatch.StartNew();
            try
            {
                using var encoder = EegDinoEncoder.Load(stream);
                var encoding = encoder.Encode(input, 4);
                Assert.IsTrue(encoding.PooledMean.All(float.IsFinite), "a loaded encoder gives finite output");
                loaded++;
            }
            catch (Exception e) when (e is EegDinoException or ArgumentException)
            {
                refused++;
            }
            slowest = Math.Max(slowest, watch.ElapsedMilliseconds);
            if (watch.ElapsedMilliseconds > HangMilliseconds) throw new TimeoutException($"a load took {watch.ElapsedMilliseconds} ms with {string.Join(", ", metadata)}");
            long growth = Process.GetCurrentProcess().WorkingSet64 - baseline;
            if (growth > MaxGrowthBytes) throw new InsufficientMemoryException($"the process grew by {growth >> 20} MiB with {string.Join(", ", metadata)}");
        }, iter: Iterations, threads: 1, seed: "0N0XIzNsQ0O2");
        Console.WriteLine($"{Iterations} fuzzed configurations: {loaded} loaded, {refused} refused; slowest {slowest} ms");
        Assert.IsGreaterThan(0, refused);
        Assert.IsGreaterThan(0, loaded, "the near misses include the fixture's own configuration");
    }
}
