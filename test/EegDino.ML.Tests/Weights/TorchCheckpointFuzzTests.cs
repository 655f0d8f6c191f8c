using System.Diagnostics;
using CsCheck;
using EegDino.ML.Weights.Torch;

namespace EegDino.ML.Tests.Weights;

/// <summary>
/// Property: whatever the bytes, reading a checkpoint either succeeds or throws
/// <see cref="EegDinoModelFormatException"/>, promptly. Mutations: flip, overwrite with boundary
/// values, truncate, delete or duplicate a span; of the pickle (re-zipped with intact storages, so
/// the unpickler and tensor rebuilding are reached) and of the raw zip bytes.
/// </summary>
[TestClass]
public sealed class TorchCheckpointFuzzTests
{
    private const int PickleIterations = 1500;
    private const int ZipIterations = 2000;
    private static readonly byte[] Boundary = [0x00, 0x01, 0x7f, 0x80, 0xff, (byte)'(', (byte)'R', (byte)'.', (byte)'h', (byte)'X'];

    // (kind, position, length, value) → a mutated copy of the input.
    private static readonly Gen<(int, int, int, byte)> Mutation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1 << 30], Gen.Int[0, 64], Gen.Byte);

    internal static byte[] Mutate(byte[] input, (int Kind, int Position, int Length, byte Value) m)
    {
        if (input.Length == 0) return input;
        int at = m.Position % input.Length;
        int span = Math.Min(m.Length, input.Length - at);
        byte[] output = (byte[])input.Clone();
        switch (m.Kind)
        {
            case 0: output[at] ^= (byte)(1 << (m.Value % 8)); return output;
            case 1: output[at] = m.Value; return output;
            case 2: output[at] = Boundary[m.Value % Boundary.Length]; return output;
            case 3: return input[..at];
            case 4: return [.. input[..at], .. input[(at + span)..]];
            default: return [.. input[..(at + span)], .. input[at..]];
        }
    }

    private static long _slowest;

    private const long HangMilliseconds = 60_000;

    private static void ReadMustSucceedOrRefuse(byte[] zip)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            TorchCheckpointReader.Read(new MemoryStream(zip), "fuzz.pt");
        }
        catch (EegDinoModelFormatException)
        {
            // refused: fine
        }
        long ms = watch.ElapsedMilliseconds;
        InterlockedMax(ref _slowest, ms);
        // A hang detector, not a speed check: reads of these few-KiB files take milliseconds.
        if (ms > HangMilliseconds) throw new TimeoutException($"one read took {ms} ms: the reader loops on this input");
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    [TestMethod]
    public void MutatedPicklesAreReadOrRefused()
    {
        var records = CheckpointTestFiles.ReadZip(File.ReadAllBytes(CheckpointTestFiles.Fixture("tiny.checkpoint.pt")));
        int pickleIndex = records.FindIndex(r => r.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
        byte[] pickle = records[pickleIndex].Data;
        var watch = Stopwatch.StartNew();
        Mutation.Sample(m =>
        {
            var mutated = records.ToList();
            mutated[pickleIndex] = (records[pickleIndex].Name, Mutate(pickle, m));
            ReadMustSucceedOrRefuse(CheckpointTestFiles.WriteZip(mutated));
        }, iter: PickleIterations, threads: 1, seed: "0N0XIzNsQ0O2");
        Console.WriteLine($"{PickleIterations} pickle mutations in {watch.ElapsedMilliseconds} ms; slowest read {_slowest} ms");
    }

    [TestMethod]
    public void MutatedZipBytesAreReadOrRefused()
    {
        byte[] zip = File.ReadAllBytes(CheckpointTestFiles.Checkpoint("views.pt"));
        var watch = Stopwatch.StartNew();
        Mutation.Sample(m => ReadMustSucceedOrRefuse(Mutate(zip, m)), iter: ZipIterations, threads: 1, seed: "0N0XIzNsQ0O2");
        Console.WriteLine($"{ZipIterations} zip mutations in {watch.ElapsedMilliseconds} ms; slowest read {_slowest} ms");
    }

    [TestMethod]
    public void RandomPicklesAreReadOrRefused()
    {
        // Random opcode soup drawn mostly from the opcodes the reader accepts.
        byte[] opcodes = "()tlde]}suaq h.NKMJGX\x85\x86\x87\x88\x89\x8c\x8f\x90\x91\x94\x93R\x81bQc0120"u8.ToArray();
        var soup = Gen.Int[0, opcodes.Length + 40].Array[1, 200].Select(ix => ix.Select(i => i < opcodes.Length ? opcodes[i] : (byte)(i * 37)).ToArray());
        soup.Sample(body => ReadMustSucceedOrRefuse(CheckpointTestFiles.Archive([0x80, 2, .. body], CheckpointTestFiles.Floats(1, 2, 3, 4))),
            iter: 3000, threads: 1, seed: "0N0XIzNsQ0O2");
    }
}
