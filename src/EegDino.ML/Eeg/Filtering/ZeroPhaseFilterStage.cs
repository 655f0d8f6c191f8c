using System.Runtime.CompilerServices;
using System.Buffers;

namespace EegDino.ML.Eeg;

/// <summary>
/// One zero-phase FIR filter over a source, computed block by block, so a recording of any length
/// is filtered in constant memory and each sample once; the values equal filtering the whole signal
/// at once (MNE's <c>_overlap_add_filter</c> with <c>phase='zero'</c>): output sample i is
/// <c>sum_j h[H + j] x[i + j]</c>, j from -H to H, H = (N - 1) / 2.
/// </summary>
/// <remarks>
/// <para>Edges: outside each contiguous part [S, E) of the source the signal is continued as MNE's
/// <c>_smart_pad(x, n, 'reflect_limited')</c> does: point-reflected about the edge sample,
/// <c>x[S - j] = 2 x[S] - x[S + j]</c> and <c>x[E - 1 + j] = 2 x[E - 1] - x[E - 1 - j]</c> for
/// j up to E - S - 1, zero beyond (only a part shorter than the filter reaches that far).</para>
/// <para>The last few computed blocks stay cached: windows read in time order compute each block
/// once. Not thread-safe (one stage per reader).</para>
/// </remarks>
internal sealed class ZeroPhaseFilterStage : IChannelSource
{
    /// <summary>Outputs per block, about: 0.6 s of FFT work and 5 MiB per 19 channels at 500 Hz.</summary>
    private const int TargetBlockSamples = 1 << 15;

    private readonly IChannelSource _source;
    private readonly FirConvolver _convolver;
    private readonly long[] _partStarts; // ascending, first 0; part p is [_partStarts[p], next or Length)
    private readonly int _half, _taps, _block, _cachedBlocks;
    private readonly List<Block> _cache = [];

    /// <summary>Creates the stage.</summary>
    /// <param name="source">The signal to filter.</param>
    /// <param name="design">The filter.</param>
    /// <param name="partStarts">First sample of each contiguous part (EDF+D records after a gap), ascending; 0 is implied.</param>
    /// <param name="fftLength">0 to choose, -1 for the direct form, or an FFT length (tests).</param>
    /// <param name="cachedBlocks">Blocks kept: 3 when another stage reads this one (its block and margins
    /// span up to three of ours), 2 when windows do.</param>
    /// <param name="blockSamples">Outputs per block to aim at (0 for the default); small for stages used only near the edges.</param>
    public ZeroPhaseFilterStage(IChannelSource source, FirFilterDesign design, IEnumerable<long>? partStarts = null, int fftLength = 0, int cachedBlocks = 3,
        int blockSamples = 0)
        : this(source, design.Kernel, partStarts, fftLength, cachedBlocks, blockSamples)
    {
    }

    /// <summary>Creates the stage for a symmetric kernel of odd length.</summary>
    internal ZeroPhaseFilterStage(IChannelSource source, double[] kernel, IEnumerable<long>? partStarts, int fftLength, int cachedBlocks, int blockSamples = 0)
    {
        int target = blockSamples > 0 ? blockSamples : TargetBlockSamples;
        if (kernel.Length % 2 == 0) throw new ArgumentException($"A zero-phase kernel has an odd length; this one has {kernel.Length}.", nameof(kernel));
        if (cachedBlocks < 1) throw new ArgumentOutOfRangeException(nameof(cachedBlocks), $"cachedBlocks is {cachedBlocks}; at least 1 was expected.");
        _source = source;
        _convolver = new FirConvolver(kernel, fftLength);
        _taps = kernel.Length;
        _half = (kernel.Length - 1) / 2;
        _cachedBlocks = cachedBlocks;
        _partStarts = new[] { 0L }.Concat((partStarts ?? []).Where(s => s > 0 && s < source.Length)).Distinct().Order().ToArray();
        // A block is a whole number of FFT blocks of input (its outputs plus N - 1 margin samples).
        int fftBlock = _convolver.BlockLength;
        if (fftBlock == 0) _block = target;
        else
        {
            int perBlock = Math.Max(1, (target + _taps - 1 + fftBlock - 1) / fftBlock);
            _block = perBlock * fftBlock - (_taps - 1); // at least 1: the FFT is at least 2N - 1 long
        }
    }

    /// <summary>First sample of each contiguous part, ascending, starting with 0.</summary>
    public IReadOnlyList<long> PartStarts => _partStarts;

    public int Channels => _source.Channels;

    public long Length => _source.Length;

    public void Read(long start, int count, double[][] destination, int offset)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples {start} to {start + count} were requested of a signal of {Length}.");
        long position = start, end = start + count;
        while (position < end)
        {
            int part = PartOf(position);
            long partStart = _partStarts[part];
            long index = (position - partStart) / _block;
            Block b = GetBlock(part, index);
            int from = (int)(position - b.Start);
            int n = (int)Math.Min(b.Count - from, end - position);
            for (int c = 0; c < Channels; c++)
                b.Samples[c].AsSpan(from, n).CopyTo(destination[c].AsSpan(offset + (int)(position - start), n));
            position += n;
        }
    }

    private int PartOf(long sample)
    {
        int i = Array.BinarySearch(_partStarts, sample);
        return i >= 0 ? i : ~i - 1;
    }

    private long PartEnd(int part) => part + 1 < _partStarts.Length ? _partStarts[part + 1] : Length;

    private Block GetBlock(int part, long index)
    {
        for (int i = 0; i < _cache.Count; i++)
        {
            Block cached = _cache[i];
            if (cached.Part == part && cached.Index == index)
            {
                if (i > 0) { _cache.RemoveAt(i); _cache.Insert(0, cached); }
                return cached;
            }
        }
        Block b;
        if (_cache.Count == _cachedBlocks)
        {
            b = _cache[^1];
            _cache.RemoveAt(_cache.Count - 1);
        }
        else
        {
            b = new Block(Channels, _block);
        }
        Compute(part, index, b);
        _cache.Insert(0, b);
        return b;
    }

    private void Compute(int part, long index, Block b)
    {
        long partStart = _partStarts[part], partEnd = PartEnd(part);
        long p = partStart + index * _block, q = Math.Min(p + _block, partEnd);
        int count = (int)(q - p), extended = count + 2 * _half;
        long readFrom = Math.Max(partStart, p - _half), readTo = Math.Min(partEnd, q + _half);
        int readCount = (int)(readTo - readFrom);
        int channels = Channels;
        var raw = new double[channels][];
        for (int c = 0; c < channels; c++) raw[c] = ArrayPool<double>.Shared.Rent(readCount);
        double[][] ext = [ArrayPool<double>.Shared.Rent(extended), ArrayPool<double>.Shared.Rent(extended)];
        try
        {
            ComputeInto(b, raw, ext, partStart, partEnd, p, q, readFrom, readCount);
        }
        finally
        {
            foreach (double[] a in raw) ArrayPool<double>.Shared.Return(a);
            foreach (double[] a in ext) ArrayPool<double>.Shared.Return(a);
        }
        b.Part = part;
        b.Index = index;
        b.Start = p;
        b.Count = count;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void ComputeInto(Block b, double[][] raw, double[][] ext, long partStart, long partEnd, long p, long q, long readFrom, int readCount)
    {
        int count = (int)(q - p), extended = count + 2 * _half, channels = Channels;
        _source.Read(readFrom, readCount, raw, 0);

        long partLength = partEnd - partStart, extStart = p - _half;
        int left = (int)Math.Clamp(partStart - extStart, 0, extended);  // samples before the part
        int right = (int)Math.Clamp(q + _half - partEnd, 0, extended);  // samples after it
        for (int c = 0; c < channels; c += 2)
        {
            bool pair = c + 1 < channels;
            Extend(raw[c], ext[0]);
            if (pair) Extend(raw[c + 1], ext[1]);
            _convolver.Apply(
                ext[0].AsSpan(0, extended), b.Samples[c].AsSpan(0, count),
                pair ? ext[1].AsSpan(0, extended) : default, pair ? b.Samples[c + 1].AsSpan(0, count) : default);
        }

        void Extend(double[] x, double[] e)
        {
            x.AsSpan((int)(extStart + left - readFrom), extended - left - right).CopyTo(e.AsSpan(left));
            for (int t = 0; t < left; t++)
            {
                long j = partStart - (extStart + t);
                e[t] = j <= partLength - 1 ? 2 * x[partStart - readFrom] - x[partStart + j - readFrom] : 0;
            }
            for (int t = extended - right; t < extended; t++)
            {
                long j = extStart + t - (partEnd - 1);
                e[t] = j <= partLength - 1 ? 2 * x[partEnd - 1 - readFrom] - x[partEnd - 1 - j - readFrom] : 0;
            }
        }
    }

    private static double[][] Alloc(int channels, int length)
    {
        var a = new double[channels][];
        for (int c = 0; c < channels; c++) a[c] = new double[length];
        return a;
    }

    /// <summary>One computed block of outputs: samples [Start, Start + Count) of part Part.</summary>
    private sealed class Block(int channels, int capacity)
    {
        public double[][] Samples { get; } = Alloc(channels, capacity);
        public int Part { get; set; } = -1;
        public long Index { get; set; } = -1;
        public long Start { get; set; }
        public int Count { get; set; }
    }
}
