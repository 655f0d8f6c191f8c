using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EegDino.ML.Eeg;

/// <summary>
/// The "valid" part of a linear convolution with one FIR kernel: <c>output[i] = sum_k h[k] x[i + N - 1 - k]</c>
/// for an input of <c>output.Length + N - 1</c> samples. Short kernels are computed directly; long
/// ones by FFT overlap-add (as MNE's <c>_overlap_add_filter</c>): the input is cut into blocks of
/// <c>FFT length - N + 1</c> samples, each block is zero-padded, transformed, multiplied by the
/// kernel's spectrum and transformed back, and the overlapping tails are added. Two channels go
/// through one complex FFT (one as the real part, one as the imaginary part): the kernel is real,
/// so the two results come back apart.
/// </summary>
/// <remarks>One instance per thread: it owns its work buffers.</remarks>
internal sealed class FirConvolver
{
    /// <summary>Kernels up to this many taps are convolved directly.</summary>
    internal const int DirectMaxTaps = 64;

    private const int MaxFftLength = 1 << 24;

    /// <summary>
    /// Longer transforms save a few operations (5% for 3301 taps from 16,384 to 32,768 points) but
    /// their 512 KiB of data no longer fits a core's L2 cache; measured no faster on the EPYC machines.
    /// </summary>
    private const int CacheFriendlyFftLength = 1 << 14;

    private readonly double[] _kernel;
    private readonly ComplexFft? _fft;
    private readonly double[] _spectrumRe = [], _spectrumIm = [];
    private readonly double[] _re = [], _im = [];

    /// <summary>Prepares a kernel.</summary>
    /// <param name="kernel">The coefficients (not copied; must not change).</param>
    /// <param name="fftLength">0 to choose (direct for up to <see cref="DirectMaxTaps"/> taps, else the
    /// cheapest power of two of at least 2N - 1); -1 to force the direct form; or a power of two of at least 2N - 1.</param>
    public FirConvolver(double[] kernel, int fftLength = 0)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.Length == 0) throw new ArgumentException("The kernel is empty.", nameof(kernel));
        _kernel = kernel;
        int n = kernel.Length;
        if (fftLength == 0) fftLength = n <= DirectMaxTaps ? -1 : CheapestFftLength(n);
        if (fftLength == -1) return;
        if (fftLength < 2 * n - 1 || (fftLength & (fftLength - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(fftLength), $"fftLength is {fftLength}; a power of two of at least {2 * n - 1} (2N - 1) was expected.");
        _fft = ComplexFft.Shared(fftLength);
        _spectrumRe = new double[fftLength];
        _spectrumIm = new double[fftLength];
        kernel.CopyTo(_spectrumRe, 0);
        _fft.ForwardToBitReversed(_spectrumRe, _spectrumIm); // the order the blocks' spectra come in
        double scale = 1.0 / fftLength; // the inverse transform's 1 / N, folded in once
        for (int k = 0; k < fftLength; k++)
        {
            _spectrumRe[k] *= scale;
            _spectrumIm[k] *= scale;
        }
        _re = new double[fftLength];
        _im = new double[fftLength];
    }

    /// <summary>Number of taps N.</summary>
    public int KernelLength => _kernel.Length;

    /// <summary>The FFT length, or 0 for the direct form.</summary>
    public int FftLength => _fft?.Length ?? 0;

    /// <summary>Input samples per FFT block (<c>FFT length - N + 1</c>); 0 for the direct form.</summary>
    public int BlockLength => _fft is null ? 0 : _fft.Length - _kernel.Length + 1;

    /// <summary>
    /// The power of two of at least 2N - 1 with the fewest operations per output sample,
    /// <c>L (log2 L + 1) / (L - N + 1)</c> (MNE's cost function without its time heuristic), among
    /// the lengths up to <see cref="CacheFriendlyFftLength"/> or twice the shortest, whichever is longer.
    /// </summary>
    internal static int CheapestFftLength(int taps)
    {
        long best = 0;
        double bestCost = double.PositiveInfinity;
        long shortest = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * taps - 1));
        for (long length = shortest; length <= Math.Max(2 * shortest, CacheFriendlyFftLength); length <<= 1)
        {
            double cost = length * (Math.Log2(length) + 1) / (length - taps + 1);
            if (cost < bestCost) { bestCost = cost; best = length; }
            else break; // the cost has one minimum
        }
        return best == 0 || best > MaxFftLength
            ? throw new ArgumentOutOfRangeException(nameof(taps), $"taps is {taps}; kernels up to {MaxFftLength / 2} taps are supported.") : (int)best;
    }

    /// <summary>Convolves one or two channels.</summary>
    /// <param name="inputA">Channel A's input, <c>outputA.Length + N - 1</c> samples.</param>
    /// <param name="outputA">Channel A's output.</param>
    /// <param name="inputB">Channel B's input (same length as A's), or empty for one channel.</param>
    /// <param name="outputB">Channel B's output (same length as A's), or empty.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    public void Apply(ReadOnlySpan<double> inputA, Span<double> outputA, ReadOnlySpan<double> inputB, Span<double> outputB)
    {
        int n = _kernel.Length;
        if (inputA.Length != outputA.Length + n - 1)
            throw new ArgumentException($"The input has {inputA.Length} samples; {outputA.Length} outputs of a {n}-tap filter need {outputA.Length + n - 1}.");
        bool two = !inputB.IsEmpty;
        if (two && (inputB.Length != inputA.Length || outputB.Length != outputA.Length))
            throw new ArgumentException("Both channels must have the same lengths.");
        if (_fft is null)
        {
            Direct(inputA, outputA);
            if (two) Direct(inputB, outputB);
            return;
        }

        outputA.Clear();
        if (two) outputB.Clear();
        int fftLength = _fft.Length, block = fftLength - n + 1, outputs = outputA.Length;
        for (int start = 0; start < inputA.Length; start += block)
        {
            int count = Math.Min(block, inputA.Length - start);
            inputA.Slice(start, count).CopyTo(_re);
            _re.AsSpan(count).Clear();
            if (two) inputB.Slice(start, count).CopyTo(_im);
            _im.AsSpan(two ? count : 0).Clear();
            // Both spectra in bit-reversed order: the product needs no permutation.
            _fft.ForwardToBitReversed(_re, _im);
            MultiplySpectra(_re, _im, _spectrumRe, _spectrumIm);
            _fft.InverseFromBitReversed(_re, _im);
            // This block's full convolution, sample j, is full-signal sample start + j, output start + j - (N - 1).
            int from = Math.Max(0, n - 1 - start), to = Math.Min(count + n - 1, outputs + n - 1 - start);
            int shift = start - (n - 1);
            for (int j = from; j < to; j++) outputA[j + shift] += _re[j];
            if (two)
                for (int j = from; j < to; j++) outputB[j + shift] += _im[j];
        }
    }

    /// <summary><c>x = x h</c> element by element, complex, split arrays; four at a time where 256-bit vectors are accelerated (the same arithmetic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private static void MultiplySpectra(double[] re, double[] im, double[] hRe, double[] hIm)
    {
        int n = re.Length, k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; k + 4 <= n; k += 4)
            {
                Vector256<double> xr = Vector256.Create(re.AsSpan(k, 4)), xi = Vector256.Create(im.AsSpan(k, 4));
                Vector256<double> hr = Vector256.Create(hRe.AsSpan(k, 4)), hi = Vector256.Create(hIm.AsSpan(k, 4));
                (xr * hr - xi * hi).CopyTo(re.AsSpan(k, 4));
                (xr * hi + xi * hr).CopyTo(im.AsSpan(k, 4));
            }
        }
        for (; k < n; k++)
        {
            double xr = re[k], xi = im[k], hr = hRe[k], hi = hIm[k];
            re[k] = xr * hr - xi * hi;
            im[k] = xr * hi + xi * hr;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void Direct(ReadOnlySpan<double> input, Span<double> output)
    {
        int n = _kernel.Length;
        for (int i = 0; i < output.Length; i++)
        {
            double acc = 0;
            ReadOnlySpan<double> x = input.Slice(i, n);
            for (int k = 0; k < n; k++) acc += _kernel[k] * x[n - 1 - k];
            output[i] = acc;
        }
    }
}
