using System.Globalization;
using EegDino.ML.MLNet;

namespace EegDino.ML.Tests.MLNet;

/// <summary>
/// A cheap deterministic stand-in for the network, to test the ML.NET plumbing (batching, schemas,
/// persistence) in milliseconds. Patch token (c, p)[d] = scale * mean(patch samples) * (d + 1) + c;
/// the global token [d] = scale * mean(all samples) - d. Counts forward passes.
/// </summary>
internal sealed class FakeEmbeddingEncoder : IEmbeddingEncoder
{
    public const string Kind = "Test.Fake";

    static FakeEmbeddingEncoder() => EmbeddingEncoders.Register(Kind, (weights, settings) =>
    {
        using var reader = new BinaryReader(new MemoryStream(weights));
        int dim = reader.ReadInt32(), patch = reader.ReadInt32();
        return new FakeEmbeddingEncoder(dim, patch, float.Parse(settings["Encoder.InputScale"], CultureInfo.InvariantCulture));
    });

    public FakeEmbeddingEncoder(int embeddingDim = 8, int patchSize = 200, float inputScale = 0.01f)
    {
        EmbeddingDim = embeddingDim;
        PatchSize = patchSize;
        InputScale = inputScale;
    }

    /// <summary>Makes sure the kind is registered (static constructor) before a load.</summary>
    public static void EnsureRegistered() { }

    public int EmbeddingDim { get; }
    public int NumberOfGlobalTokens => 1;
    public int PatchSize { get; }
    public float InputScale { get; }
    public int ForwardPasses;
    public List<int> BatchSizes { get; } = [];
    public bool Disposed { get; private set; }

    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        [EmbeddingEncoders.KindKey] = Kind,
        ["Encoder.InputScale"] = InputScale.ToString("R", CultureInfo.InvariantCulture),
    };

    public void Encode(ReadOnlySpan<float> signals, int batchSize, int numberOfChannels, EegDinoEmbeddingKind kind, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Interlocked.Increment(ref ForwardPasses);
        lock (BatchSizes) BatchSizes.Add(batchSize);
        int samples = signals.Length / batchSize / numberOfChannels;
        int patches = (samples + PatchSize - 1) / PatchSize;
        int outLength = EmbeddingKinds.OutputLength(this, kind, numberOfChannels, samples);
        int d = EmbeddingDim;
        for (int b = 0; b < batchSize; b++)
        {
            ReadOnlySpan<float> row = signals.Slice(b * numberOfChannels * samples, numberOfChannels * samples);
            var tokens = new float[1 + numberOfChannels * patches, d];
            double total = 0;
            foreach (float v in row) total += v;
            for (int j = 0; j < d; j++) tokens[0, j] = (float)(InputScale * total / row.Length - j);
            for (int c = 0; c < numberOfChannels; c++)
            {
                for (int p = 0; p < patches; p++)
                {
                    double sum = 0;
                    for (int t = p * PatchSize; t < Math.Min(samples, (p + 1) * PatchSize); t++) sum += row[c * samples + t];
                    for (int j = 0; j < d; j++) tokens[1 + c * patches + p, j] = (float)(InputScale * sum / PatchSize * (j + 1) + c);
                }
            }
            Span<float> output = destination.Slice(b * outLength, outLength);
            switch (kind)
            {
                case EegDinoEmbeddingKind.GlobalToken:
                    for (int j = 0; j < d; j++) output[j] = tokens[0, j];
                    break;
                case EegDinoEmbeddingKind.PooledMean:
                    for (int j = 0; j < d; j++)
                    {
                        double sum = 0;
                        for (int k = 1; k < tokens.GetLength(0); k++) sum += tokens[k, j];
                        output[j] = (float)(sum / (tokens.GetLength(0) - 1));
                    }
                    break;
                default:
                    for (int k = 0; k < tokens.GetLength(0); k++)
                        for (int j = 0; j < d; j++) output[k * d + j] = tokens[k, j];
                    break;
            }
        }
    }

    public void SaveWeights(Stream destination)
    {
        using var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(EmbeddingDim);
        writer.Write(PatchSize);
    }

    public void Dispose() => Disposed = true;
}
