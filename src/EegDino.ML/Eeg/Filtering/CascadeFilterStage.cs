namespace EegDino.ML.Eeg;

/// <summary>
/// Several zero-phase filters applied one after the other, each with its own edge padding, as MNE
/// runs <c>notch_filter</c> and then <c>filter</c>. Away from the edges no padding reaches a sample,
/// so there the cascade equals one filter whose kernel is the kernels convolved, and that is what
/// is computed (half the work for two filters); within their combined reach of a part's edge
/// (the sum of the half-lengths) the filters run in turn.
/// </summary>
/// <remarks>Not thread-safe (one per reader).</remarks>
internal sealed class CascadeFilterStage : IChannelSource
{
    private readonly IChannelSource _source;
    private readonly FirFilterDesign[] _designs;
    private readonly long[] _partStarts;
    private readonly int _reach;
    private IChannelSource? _inTurn;
    private ZeroPhaseFilterStage? _combined;

    /// <summary>Creates the cascade.</summary>
    /// <param name="source">The signal to filter.</param>
    /// <param name="designs">The filters, in the order they apply; at least two.</param>
    /// <param name="partStarts">First sample of each contiguous part after the first.</param>
    public CascadeFilterStage(IChannelSource source, IReadOnlyList<FirFilterDesign> designs, IEnumerable<long> partStarts)
    {
        if (designs.Count < 2) throw new ArgumentException($"A cascade needs two filters or more; {designs.Count} were given.", nameof(designs));
        _source = source;
        _designs = designs.ToArray();
        _partStarts = new[] { 0L }.Concat(partStarts.Where(s => s > 0 && s < source.Length)).Distinct().Order().ToArray();
        _reach = _designs.Sum(d => d.HalfLength);
    }

    public int Channels => _source.Channels;

    public long Length => _source.Length;

    /// <summary>The kernels convolved (by FFT): one filter equal to the cascade away from the edges, of length sum of N - (count - 1).</summary>
    internal static double[] Combine(IReadOnlyList<FirFilterDesign> designs)
    {
        int length = designs.Sum(d => d.Length) - (designs.Count - 1);
        int n = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length);
        var fft = new ComplexFft(Math.Max(n, 2));
        double[] accRe = new double[fft.Length], accIm = new double[fft.Length];
        Array.Fill(accRe, 1.0); // the spectrum of a unit impulse
        foreach (FirFilterDesign d in designs)
        {
            double[] re = new double[fft.Length], im = new double[fft.Length];
            d.Kernel.CopyTo(re, 0);
            fft.Forward(re, im);
            for (int k = 0; k < fft.Length; k++)
                (accRe[k], accIm[k]) = (accRe[k] * re[k] - accIm[k] * im[k], accRe[k] * im[k] + accIm[k] * re[k]);
        }
        fft.Inverse(accRe, accIm);
        var g = new double[length];
        for (int i = 0; i < length; i++) g[i] = accRe[i] / fft.Length;
        return g;
    }

    public void Read(long start, int count, double[][] destination, int offset)
    {
        if (start < 0 || count < 0 || start + count > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Samples {start} to {start + count} were requested of a signal of {Length}.");
        long position = start, end = start + count;
        while (position < end)
        {
            int i = Array.BinarySearch(_partStarts, position);
            int part = i >= 0 ? i : ~i - 1;
            long partStart = _partStarts[part], partEnd = part + 1 < _partStarts.Length ? _partStarts[part + 1] : Length;
            long interiorStart = partStart + _reach, interiorEnd = partEnd - _reach;
            bool interior = position >= interiorStart && position < interiorEnd;
            // The piece ends where the region of this position ends: interior, head edge or tail edge.
            long regionEnd = interior ? interiorEnd : position < interiorStart ? Math.Min(interiorStart, partEnd) : partEnd;
            long pieceEnd = Math.Min(end, regionEnd);
            int n = (int)(pieceEnd - position);
            IChannelSource from = interior ? Combined() : InTurn();
            from.Read(position, n, destination, offset + (int)(position - start));
            position = pieceEnd;
        }
    }

    private ZeroPhaseFilterStage Combined() =>
        _combined ??= new ZeroPhaseFilterStage(_source, Combine(_designs), _partStarts, fftLength: 0, cachedBlocks: 2);

    private IChannelSource InTurn()
    {
        if (_inTurn is null)
        {
            IChannelSource s = _source;
            for (int k = 0; k < _designs.Length; k++)
                s = new ZeroPhaseFilterStage(s, _designs[k], _partStarts, cachedBlocks: k == _designs.Length - 1 ? 2 : 3, blockSamples: 2 * _reach);
            _inTurn = s;
        }
        return _inTurn;
    }
}
