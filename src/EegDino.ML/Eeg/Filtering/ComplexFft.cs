namespace EegDino.ML.Eeg;

/// <summary>
/// In-place complex FFT of one power-of-two length, double precision, iterative radix-2
/// (decimation in time). Convention: forward X[k] = sum_n x[n] exp(-2 pi i k n / N), inverse
/// x[n] = sum_k X[k] exp(+2 pi i k n / N) without the 1 / N factor (callers fold it into their
/// spectra). The instance only holds read-only tables and may be shared between threads.
/// </summary>
internal sealed class ComplexFft
{
    private readonly int[] _reverse;
    private readonly double[] _cos, _sin; // cos(2 pi t / N), sin(2 pi t / N), t < N / 2

    /// <summary>Prepares the tables for one length.</summary>
    /// <param name="length">A power of two, at least 2.</param>
    public ComplexFft(int length)
    {
        if (length < 2 || (length & (length - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(length), $"length is {length}; a power of two of at least 2 was expected.");
        Length = length;
        int bits = System.Numerics.BitOperations.Log2((uint)length);
        _reverse = new int[length];
        for (int i = 0; i < length; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
            _reverse[i] = r;
        }
        _cos = new double[length / 2];
        _sin = new double[length / 2];
        for (int t = 0; t < length / 2; t++)
        {
            // Exact values at the quarter points keep the symmetric tables symmetric.
            double angle = 2 * Math.PI * t / length;
            _cos[t] = 4 * t == length ? 0 : Math.Cos(angle);
            _sin[t] = 4 * t == length ? 1 : Math.Sin(angle);
        }
    }

    /// <summary>The transform length.</summary>
    public int Length { get; }

    /// <summary>Forward transform in place.</summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    public void Forward(Span<double> re, Span<double> im) => Transform(re, im, -1);

    /// <summary>Inverse transform in place, without the 1 / N factor.</summary>
    /// <param name="re">Real parts, <see cref="Length"/> values.</param>
    /// <param name="im">Imaginary parts, <see cref="Length"/> values.</param>
    public void Inverse(Span<double> re, Span<double> im) => Transform(re, im, 1);

    private void Transform(Span<double> re, Span<double> im, double sign)
    {
        int n = Length;
        if (re.Length != n || im.Length != n)
            throw new ArgumentException($"The FFT has length {n}; the arrays have {re.Length} and {im.Length} values.");
        for (int i = 0; i < n; i++)
        {
            int j = _reverse[i];
            if (j > i)
            {
                (re[i], re[j]) = (re[j], re[i]);
                (im[i], im[j]) = (im[j], im[i]);
            }
        }
        // Size-2 butterflies need no twiddle.
        for (int a = 0; a < n; a += 2)
        {
            double br = re[a + 1], bi = im[a + 1];
            re[a + 1] = re[a] - br;
            im[a + 1] = im[a] - bi;
            re[a] += br;
            im[a] += bi;
        }
        for (int size = 4; size <= n; size <<= 1)
        {
            int half = size >> 1, step = n / size;
            for (int start = 0; start < n; start += size)
            {
                for (int k = 0, t = 0; k < half; k++, t += step)
                {
                    double wr = _cos[t], wi = sign * _sin[t];
                    int a = start + k, b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }
}
