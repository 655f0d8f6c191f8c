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

    /// <summary>Lengths up to this are kept by <see cref="Shared"/> (the tables of 2^16 points take 1.3 MB).</summary>
    private const int MaxSharedLength = 1 << 16;

    private static readonly Dictionary<int, ComplexFft> SharedByLength = [];

    /// <summary>
    /// One instance per length, built once per process (each recording's filters would otherwise
    /// rebuild the tables: 0.5 ms for 16,384 points, measured); longer transforms are built anew.
    /// </summary>
    /// <param name="length">A power of two, at least 2.</param>
    /// <returns>The transform (read-only, shareable between threads).</returns>
    public static ComplexFft Shared(int length)
    {
        if (length > MaxSharedLength) return new ComplexFft(length);
        lock (SharedByLength)
        {
            if (!SharedByLength.TryGetValue(length, out ComplexFft? fft))
            {
                fft = new ComplexFft(length);
                SharedByLength.Add(length, fft);
            }
            return fft;
        }
    }

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

    /// <summary>
    /// Forward transform in place with the output in bit-reversed order (X[k] lands at index
    /// bitreverse(k)): decimation in frequency, no permutation. Followed by
    /// <see cref="InverseFromBitReversed"/>, a product of spectra taken element by element needs no
    /// permutation at all (both spectra in the same order): how <see cref="FirConvolver"/> uses it.
    /// </summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    public void ForwardToBitReversed(Span<double> re, Span<double> im)
    {
        int n = CheckLengths(re, im);
        ref double r = ref MemoryMarshal.GetReference(re);
        ref double m = ref MemoryMarshal.GetReference(im);
        if (n == 2)
        {
            Butterflies(ref r, ref m, n);
            return;
        }
        int half = n / 2;
        if (Vector256.IsHardwareAccelerated)
        {
            // Two passes at a time (the arrays swept half as often), after one if their number is odd.
            int passes = System.Numerics.BitOperations.Log2((uint)n) - 2;
            if (passes % 2 == 1) { VectorDifPass(ref r, ref m, n, half); half >>= 1; }
            for (; half >= 8; half >>= 2) VectorDifRadix4Pass(ref r, ref m, n, half);
        }
        else
            for (; half >= 4; half >>= 1) ScalarDifPass(ref r, ref m, n, half);
        // Half-sizes 2 and 1 together: their twiddles are 1 and -i, so only additions.
        for (int a = 0; a < n; a += 4)
        {
            double x0r = Unsafe.Add(ref r, a), x0i = Unsafe.Add(ref m, a), x1r = Unsafe.Add(ref r, a + 1), x1i = Unsafe.Add(ref m, a + 1);
            double x2r = Unsafe.Add(ref r, a + 2), x2i = Unsafe.Add(ref m, a + 2), x3r = Unsafe.Add(ref r, a + 3), x3i = Unsafe.Add(ref m, a + 3);
            double y0r = x0r + x2r, y0i = x0i + x2i, y2r = x0r - x2r, y2i = x0i - x2i;
            double y1r = x1r + x3r, y1i = x1i + x3i;
            // (x1 - x3) x (-i) = (x1i - x3i) - i (x1r - x3r)
            double y3r = x1i - x3i, y3i = -(x1r - x3r);
            Unsafe.Add(ref r, a) = y0r + y1r;
            Unsafe.Add(ref m, a) = y0i + y1i;
            Unsafe.Add(ref r, a + 1) = y0r - y1r;
            Unsafe.Add(ref m, a + 1) = y0i - y1i;
            Unsafe.Add(ref r, a + 2) = y2r + y3r;
            Unsafe.Add(ref m, a + 2) = y2i + y3i;
            Unsafe.Add(ref r, a + 3) = y2r - y3r;
            Unsafe.Add(ref m, a + 3) = y2i - y3i;
        }
    }

    /// <summary>Inverse transform in place of a spectrum in bit-reversed order (as <see cref="ForwardToBitReversed"/> leaves it), output in natural order, without the 1 / N factor.</summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    public void InverseFromBitReversed(Span<double> re, Span<double> im) => Passes(im, re);

    private int CheckLengths(Span<double> re, Span<double> im)
    {
        int n = Length;
        if (re.Length != n || im.Length != n)
            throw new ArgumentException($"The FFT has length {n}; the arrays have {re.Length} and {im.Length} values.");
        return n;
    }

    private static void Butterflies(ref double r, ref double m, int n)
    {
        double ar = r, ai = m, br = Unsafe.Add(ref r, 1), bi = Unsafe.Add(ref m, 1);
        (r, m, Unsafe.Add(ref r, 1), Unsafe.Add(ref m, 1)) = (ar + br, ai + bi, ar - br, ai - bi);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void Transform(Span<double> re, Span<double> im)
    {
        CheckLengths(re, im);
        ref double r = ref MemoryMarshal.GetReference(re);
        ref double m = ref MemoryMarshal.GetReference(im);
        for (int s = 0; s < _swapFrom.Length; s++)
        {
            int i = _swapFrom[s], j = _swapTo[s];
            (Unsafe.Add(ref r, i), Unsafe.Add(ref r, j)) = (Unsafe.Add(ref r, j), Unsafe.Add(ref r, i));
            (Unsafe.Add(ref m, i), Unsafe.Add(ref m, j)) = (Unsafe.Add(ref m, j), Unsafe.Add(ref m, i));
        }
        Passes(re, im);
    }

    /// <summary>The decimation-in-time passes on input already in bit-reversed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void Passes(Span<double> re, Span<double> im)
    {
        int n = CheckLengths(re, im);
        ref double r = ref MemoryMarshal.GetReference(re);
        ref double m = ref MemoryMarshal.GetReference(im);
        if (n == 2)
        {
            Butterflies(ref r, ref m, n);
            return;
        }
        // Half-sizes 1 and 2 together: their twiddles are 1 and -i, so only additions.
        for (int a = 0; a < n; a += 4)
        {
            double x0r = Unsafe.Add(ref r, a), x0i = Unsafe.Add(ref m, a), x1r = Unsafe.Add(ref r, a + 1), x1i = Unsafe.Add(ref m, a + 1);
            double x2r = Unsafe.Add(ref r, a + 2), x2i = Unsafe.Add(ref m, a + 2), x3r = Unsafe.Add(ref r, a + 3), x3i = Unsafe.Add(ref m, a + 3);
            double y0r = x0r + x1r, y0i = x0i + x1i, y1r = x0r - x1r, y1i = x0i - x1i;
            double y2r = x2r + x3r, y2i = x2i + x3i, y3r = x2r - x3r, y3i = x2i - x3i;
            Unsafe.Add(ref r, a) = y0r + y2r;
            Unsafe.Add(ref m, a) = y0i + y2i;
            Unsafe.Add(ref r, a + 2) = y0r - y2r;
            Unsafe.Add(ref m, a + 2) = y0i - y2i;
            // y3 x (-i) = y3i - i y3r
            Unsafe.Add(ref r, a + 1) = y1r + y3i;
            Unsafe.Add(ref m, a + 1) = y1i - y3r;
            Unsafe.Add(ref r, a + 3) = y1r - y3i;
            Unsafe.Add(ref m, a + 3) = y1i + y3r;
        }
        int half = 4;
        if (Vector256.IsHardwareAccelerated)
        {
            // Vectors of four butterflies, two passes at a time (radix 4) so that the arrays are swept
            // half as often, after one radix-2 pass if their number is odd.
            int remaining = System.Numerics.BitOperations.Log2((uint)n) - 2;
            if (remaining % 2 == 1) { VectorPass(ref r, ref m, n, half); half <<= 1; }
            for (; half < n; half <<= 2) VectorRadix4Pass(ref r, ref m, n, half);
        }
        else
        {
            for (; half < n; half <<= 1) ScalarPass(ref r, ref m, n, half);
        }
    }

    /// <summary>
    /// The passes of half-sizes h and 2h together: for each k the four points k, k + h, k + 2h, k + 3h
    /// of a group of 4h; the second pass's twiddle for k + h is -i times the one for k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void VectorRadix4Pass(ref double r, ref double m, int n, int half)
    {
        ref double w1Re = ref _twiddleRe[half - 1];
        ref double w1Im = ref _twiddleIm[half - 1];
        ref double w2Re = ref _twiddleRe[2 * half - 1];
        ref double w2Im = ref _twiddleIm[2 * half - 1];
        for (int start = 0; start < n; start += 4 * half)
        {
            for (int k = 0; k < half; k += 4)
            {
                nuint i0 = (nuint)(start + k), i1 = i0 + (nuint)half, i2 = i1 + (nuint)half, i3 = i2 + (nuint)half;
                Vector256<double> ar = Vector256.LoadUnsafe(ref w1Re, (nuint)k), ai = Vector256.LoadUnsafe(ref w1Im, (nuint)k);
                Vector256<double> br = Vector256.LoadUnsafe(ref w2Re, (nuint)k), bi = Vector256.LoadUnsafe(ref w2Im, (nuint)k);

                Vector256<double> x1r = Vector256.LoadUnsafe(ref r, i1), x1i = Vector256.LoadUnsafe(ref m, i1);
                Vector256<double> x3r = Vector256.LoadUnsafe(ref r, i3), x3i = Vector256.LoadUnsafe(ref m, i3);
                Vector256<double> t1r = x1r * ar - x1i * ai, t1i = x1r * ai + x1i * ar;
                Vector256<double> t3r = x3r * ar - x3i * ai, t3i = x3r * ai + x3i * ar;
                Vector256<double> x0r = Vector256.LoadUnsafe(ref r, i0), x0i = Vector256.LoadUnsafe(ref m, i0);
                Vector256<double> x2r = Vector256.LoadUnsafe(ref r, i2), x2i = Vector256.LoadUnsafe(ref m, i2);
                Vector256<double> y0r = x0r + t1r, y0i = x0i + t1i, y1r = x0r - t1r, y1i = x0i - t1i;
                Vector256<double> y2r = x2r + t3r, y2i = x2i + t3i, y3r = x2r - t3r, y3i = x2i - t3i;

                Vector256<double> u2r = y2r * br - y2i * bi, u2i = y2r * bi + y2i * br;
                // (y3 x w2) x (-i): real and imaginary parts swap, the new imaginary part negated.
                Vector256<double> v3r = y3r * bi + y3i * br, v3i = -(y3r * br - y3i * bi);
                (y0r + u2r).StoreUnsafe(ref r, i0);
                (y0i + u2i).StoreUnsafe(ref m, i0);
                (y0r - u2r).StoreUnsafe(ref r, i2);
                (y0i - u2i).StoreUnsafe(ref m, i2);
                (y1r + v3r).StoreUnsafe(ref r, i1);
                (y1i + v3i).StoreUnsafe(ref m, i1);
                (y1r - v3r).StoreUnsafe(ref r, i3);
                (y1i - v3i).StoreUnsafe(ref m, i3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
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

    /// <summary>One decimation-in-frequency pass: a, b = x[k], x[k + h] become a + b and (a - b) w^k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void ScalarDifPass(ref double r, ref double m, int n, int half)
    {
        ref double wRe = ref _twiddleRe[half - 1];
        ref double wIm = ref _twiddleIm[half - 1];
        for (int start = 0; start < n; start += 2 * half)
        {
            for (int k = 0; k < half; k++)
            {
                double wr = Unsafe.Add(ref wRe, k), wi = Unsafe.Add(ref wIm, k);
                int a = start + k, b = a + half;
                double ar = Unsafe.Add(ref r, a), ai = Unsafe.Add(ref m, a), br = Unsafe.Add(ref r, b), bi = Unsafe.Add(ref m, b);
                double dr = ar - br, di = ai - bi;
                Unsafe.Add(ref r, a) = ar + br;
                Unsafe.Add(ref m, a) = ai + bi;
                Unsafe.Add(ref r, b) = dr * wr - di * wi;
                Unsafe.Add(ref m, b) = dr * wi + di * wr;
            }
        }
    }

    /// <summary><see cref="ScalarDifPass"/> four butterflies at a time (the same arithmetic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void VectorDifPass(ref double r, ref double m, int n, int half)
    {
        ref double wRe = ref _twiddleRe[half - 1];
        ref double wIm = ref _twiddleIm[half - 1];
        for (int start = 0; start < n; start += 2 * half)
        {
            for (int k = 0; k < half; k += 4)
            {
                Vector256<double> wr = Vector256.LoadUnsafe(ref wRe, (nuint)k), wi = Vector256.LoadUnsafe(ref wIm, (nuint)k);
                nuint a = (nuint)(start + k), b = a + (nuint)half;
                Vector256<double> ar = Vector256.LoadUnsafe(ref r, a), ai = Vector256.LoadUnsafe(ref m, a);
                Vector256<double> br = Vector256.LoadUnsafe(ref r, b), bi = Vector256.LoadUnsafe(ref m, b);
                Vector256<double> dr = ar - br, di = ai - bi;
                (ar + br).StoreUnsafe(ref r, a);
                (ai + bi).StoreUnsafe(ref m, a);
                (dr * wr - di * wi).StoreUnsafe(ref r, b);
                (dr * wi + di * wr).StoreUnsafe(ref m, b);
            }
        }
    }

    /// <summary>
    /// The decimation-in-frequency passes of half-sizes h and h / 2 fused, with the arithmetic of
    /// <see cref="VectorDifPass"/> twice: for each k the points k, k + q, k + 2q, k + 3q (q = h / 2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
    private void VectorDifRadix4Pass(ref double r, ref double m, int n, int half)
    {
        int q = half / 2;
        ref double w1Re = ref _twiddleRe[half - 1];
        ref double w1Im = ref _twiddleIm[half - 1];
        ref double w2Re = ref _twiddleRe[q - 1];
        ref double w2Im = ref _twiddleIm[q - 1];
        for (int start = 0; start < n; start += 2 * half)
        {
            for (int k = 0; k < q; k += 4)
            {
                nuint i0 = (nuint)(start + k), i1 = i0 + (nuint)q, i2 = i1 + (nuint)q, i3 = i2 + (nuint)q;
                Vector256<double> x0r = Vector256.LoadUnsafe(ref r, i0), x0i = Vector256.LoadUnsafe(ref m, i0);
                Vector256<double> x1r = Vector256.LoadUnsafe(ref r, i1), x1i = Vector256.LoadUnsafe(ref m, i1);
                Vector256<double> x2r = Vector256.LoadUnsafe(ref r, i2), x2i = Vector256.LoadUnsafe(ref m, i2);
                Vector256<double> x3r = Vector256.LoadUnsafe(ref r, i3), x3i = Vector256.LoadUnsafe(ref m, i3);
                // Pass h: (x0, x2) with w^k, (x1, x3) with w^(k + q).
                Vector256<double> ar = Vector256.LoadUnsafe(ref w1Re, (nuint)k), ai = Vector256.LoadUnsafe(ref w1Im, (nuint)k);
                Vector256<double> br = Vector256.LoadUnsafe(ref w1Re, (nuint)(k + q)), bi = Vector256.LoadUnsafe(ref w1Im, (nuint)(k + q));
                Vector256<double> a0r = x0r + x2r, a0i = x0i + x2i, d2r = x0r - x2r, d2i = x0i - x2i;
                Vector256<double> a1r = x1r + x3r, a1i = x1i + x3i, d3r = x1r - x3r, d3i = x1i - x3i;
                Vector256<double> a2r = d2r * ar - d2i * ai, a2i = d2r * ai + d2i * ar;
                Vector256<double> a3r = d3r * br - d3i * bi, a3i = d3r * bi + d3i * br;
                // Pass h / 2: (a0, a1) and (a2, a3), both with v^k.
                Vector256<double> vr = Vector256.LoadUnsafe(ref w2Re, (nuint)k), vi = Vector256.LoadUnsafe(ref w2Im, (nuint)k);
                Vector256<double> e1r = a0r - a1r, e1i = a0i - a1i, e3r = a2r - a3r, e3i = a2i - a3i;
                (a0r + a1r).StoreUnsafe(ref r, i0);
                (a0i + a1i).StoreUnsafe(ref m, i0);
                (e1r * vr - e1i * vi).StoreUnsafe(ref r, i1);
                (e1r * vi + e1i * vr).StoreUnsafe(ref m, i1);
                (a2r + a3r).StoreUnsafe(ref r, i2);
                (a2i + a3i).StoreUnsafe(ref m, i2);
                (e3r * vr - e3i * vi).StoreUnsafe(ref r, i3);
                (e3r * vi + e3i * vr).StoreUnsafe(ref m, i3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see EdfReader.DecodeScaled
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
