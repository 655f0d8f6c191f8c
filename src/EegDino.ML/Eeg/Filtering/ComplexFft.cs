using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EegDino.ML.Eeg;

/// <summary>
/// In-place complex FFT of one power-of-two length, double precision, iterative radix-2
/// (decimation in time) on split real and imaginary arrays. Convention: forward
/// X[k] = sum_n x[n] exp(-2 pi i k n / N); inverse x[n] = sum_k X[k] exp(+2 pi i k n / N) without
/// the 1 / N factor (callers fold it into their spectra). The instance only holds read-only tables
/// and may be shared between threads.
/// </summary>
/// <remarks>
/// Speed: each pass reads its twiddle factors contiguously (one table per pass), and the passes with
/// at least four butterflies per group run four at a time in 256-bit vectors where the processor
/// has them. The inverse is the forward transform with real and imaginary parts swapped on the way
/// in and out (<c>ifft(z) = swap(fft(swap(z)))</c>).
/// </remarks>
internal sealed class ComplexFft
{
    private readonly int[] _swapFrom, _swapTo; // bit-reversal permutation as a list of swaps
    private readonly double[] _twiddleRe, _twiddleIm; // pass with half-size h at offset h - 1: exp(-2 pi i k / 2h), k < h

    /// <summary>Prepares the tables for one length.</summary>
    /// <param name="length">A power of two, at least 2.</param>
    public ComplexFft(int length)
    {
        if (length < 2 || (length & (length - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(length), $"length is {length}; a power of two of at least 2 was expected.");
        Length = length;
        int bits = System.Numerics.BitOperations.Log2((uint)length);
        var from = new List<int>();
        var to = new List<int>();
        for (int i = 0; i < length; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
            if (r > i) { from.Add(i); to.Add(r); }
        }
        _swapFrom = from.ToArray();
        _swapTo = to.ToArray();

        // One table of cos / sin(2 pi t / N), exact at the quarter point, sampled for every pass.
        var cos = new double[length / 2];
        var sin = new double[length / 2];
        for (int t = 0; t < length / 2; t++)
        {
            double angle = 2 * Math.PI * t / length;
            cos[t] = 4 * t == length ? 0 : Math.Cos(angle);
            sin[t] = 4 * t == length ? 1 : Math.Sin(angle);
        }
        _twiddleRe = new double[length - 1];
        _twiddleIm = new double[length - 1];
        for (int half = 1; half < length; half <<= 1)
        {
            int step = length / (2 * half);
            for (int k = 0; k < half; k++)
            {
                _twiddleRe[half - 1 + k] = cos[k * step];
                _twiddleIm[half - 1 + k] = -sin[k * step];
            }
        }
    }

    /// <summary>The transform length.</summary>
    public int Length { get; }

    /// <summary>Forward transform in place.</summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    public void Forward(Span<double> re, Span<double> im) => Transform(re, im);

    /// <summary>Inverse transform in place, without the 1 / N factor.</summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    public void Inverse(Span<double> re, Span<double> im) => Transform(im, re);

    private void Transform(Span<double> re, Span<double> im)
    {
        int n = Length;
        if (re.Length != n || im.Length != n)
            throw new ArgumentException($"The FFT has length {n}; the arrays have {re.Length} and {im.Length} values.");
        ref double r = ref MemoryMarshal.GetReference(re);
        ref double m = ref MemoryMarshal.GetReference(im);
        for (int s = 0; s < _swapFrom.Length; s++)
        {
            int i = _swapFrom[s], j = _swapTo[s];
            (Unsafe.Add(ref r, i), Unsafe.Add(ref r, j)) = (Unsafe.Add(ref r, j), Unsafe.Add(ref r, i));
            (Unsafe.Add(ref m, i), Unsafe.Add(ref m, j)) = (Unsafe.Add(ref m, j), Unsafe.Add(ref m, i));
        }

        // Half-size 1: twiddle 1.
        for (int a = 0; a < n; a += 2)
        {
            double br = Unsafe.Add(ref r, a + 1), bi = Unsafe.Add(ref m, a + 1);
            double ar = Unsafe.Add(ref r, a), ai = Unsafe.Add(ref m, a);
            Unsafe.Add(ref r, a + 1) = ar - br;
            Unsafe.Add(ref m, a + 1) = ai - bi;
            Unsafe.Add(ref r, a) = ar + br;
            Unsafe.Add(ref m, a) = ai + bi;
        }
        int half = 2;
        if (Vector256.IsHardwareAccelerated)
        {
            // Half-size 2 in scalar, then four butterflies per vector.
            if (n >= 4) { ScalarPass(ref r, ref m, n, half); half <<= 1; }
            for (; half < n; half <<= 1) VectorPass(ref r, ref m, n, half);
        }
        else
        {
            for (; half < n; half <<= 1) ScalarPass(ref r, ref m, n, half);
        }
    }

    private void ScalarPass(ref double r, ref double m, int n, int half)
    {
        ref double wRe = ref _twiddleRe[half - 1];
        ref double wIm = ref _twiddleIm[half - 1];
        for (int start = 0; start < n; start += 2 * half)
        {
            for (int k = 0; k < half; k++)
            {
                double wr = Unsafe.Add(ref wRe, k), wi = Unsafe.Add(ref wIm, k);
                int a = start + k, b = a + half;
                double br = Unsafe.Add(ref r, b), bi = Unsafe.Add(ref m, b);
                double xr = br * wr - bi * wi, xi = br * wi + bi * wr;
                double ar = Unsafe.Add(ref r, a), ai = Unsafe.Add(ref m, a);
                Unsafe.Add(ref r, b) = ar - xr;
                Unsafe.Add(ref m, b) = ai - xi;
                Unsafe.Add(ref r, a) = ar + xr;
                Unsafe.Add(ref m, a) = ai + xi;
            }
        }
    }

    private void VectorPass(ref double r, ref double m, int n, int half)
    {
        ref double wRe = ref _twiddleRe[half - 1];
        ref double wIm = ref _twiddleIm[half - 1];
        for (int start = 0; start < n; start += 2 * half)
        {
            for (int k = 0; k < half; k += 4)
            {
                Vector256<double> wr = Vector256.LoadUnsafe(ref wRe, (nuint)k), wi = Vector256.LoadUnsafe(ref wIm, (nuint)k);
                nuint a = (nuint)(start + k), b = a + (nuint)half;
                Vector256<double> br = Vector256.LoadUnsafe(ref r, b), bi = Vector256.LoadUnsafe(ref m, b);
                Vector256<double> xr = br * wr - bi * wi, xi = br * wi + bi * wr;
                Vector256<double> ar = Vector256.LoadUnsafe(ref r, a), ai = Vector256.LoadUnsafe(ref m, a);
                (ar - xr).StoreUnsafe(ref r, b);
                (ai - xi).StoreUnsafe(ref m, b);
                (ar + xr).StoreUnsafe(ref r, a);
                (ai + xi).StoreUnsafe(ref m, a);
            }
        }
    }
}
