using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// The only place where this library hands numbers to libtorch as <see cref="Scalar"/>s: every
/// tensor operation that takes a number (or TorchSharp's <c>a + b</c> of two tensors, which passes
/// an implicit <c>alpha = 1</c>) goes through here. (<c>a - b</c>, <c>a * b</c> and <c>a / b</c> of two tensors take no scalar and are safe.)
/// </summary>
/// <remarks>
/// Why: in TorchSharp 0.107 an implicitly converted <see cref="Scalar"/> (<c>x * 0.5</c>,
/// <c>x.mul(s)</c> with a <c>double</c>, <c>x + y</c>, which passes <c>alpha = 1</c>) is an object that only a finalizer frees, and
/// nothing keeps it reachable while the native call that reads it runs. A garbage collection
/// started by any other thread during that call lets the finalizer thread free the native scalar
/// under libtorch's feet: the call then fails with "Expected false to be true ... toFloat at
/// Scalar.h" (the freed scalar's type tag is garbage) or reads a wrong value. Measured with
/// <c>a + b</c> on 256x256 tensors and a thread forcing collections: 6 failures in 564,765 additions
/// over 20 s; through <see cref="Add"/>: none in 558,373. CI hit it in a fine-tuning test.
/// Here each scalar is either rooted for the process (<see cref="One"/>) or held by a
/// <c>using</c> until the native call has returned. <c>ScalarLifetimeTests</c> scans the
/// library's and the samples' IL so that no other code creates a scalar, directly or through a
/// TorchSharp method that does (TorchSharp's own <c>AdamW.step</c> is one: see
/// <see cref="Training.AdamWOptimizer"/>).
/// </remarks>
internal static class TorchScalars
{
    /// <summary>The integer scalar 1 (the <c>alpha</c> of a plain addition), rooted for the life of the process.</summary>
    private static readonly Scalar One = 1.ToScalar();

    /// <summary>The integer scalar 0, rooted for the life of the process.</summary>
    private static readonly Scalar Zero = 0.ToScalar();

    /// <summary><c>a + b</c> (broadcasting).</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a * value</c>.</summary>
    public static Tensor Multiply(Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a / value</c>.</summary>
    public static Tensor Divide(Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.div(s);
    }

    /// <summary><c>a &lt; value</c>, as a boolean tensor.</summary>
    public static Tensor LessThan(Tensor a, long value)
    {
        using Scalar s = value.ToScalar();
        return a.lt(s);
    }

    /// <summary><paramref name="a"/> with <paramref name="value"/> where <paramref name="mask"/> is true (broadcasting).</summary>
    public static Tensor MaskedFill(Tensor a, Tensor mask, double value)
    {
        using Scalar s = value.ToScalar();
        return a.masked_fill(mask, s);
    }

    /// <summary><c>0, 1, ..., end - 1</c> as int64 on <paramref name="device"/>.</summary>
    public static Tensor Arange(long end, Device device)
    {
        using Scalar s = end.ToScalar();
        return arange(Zero, s, One, ScalarType.Int64, device); // arange(stop) alone would pass implicit 0 and 1
    }

    /// <summary>In place: <c>a *= value</c>.</summary>
    public static Tensor MultiplyInPlace(Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.mul_(s);
    }

    /// <summary>In place: <c>a += value</c>.</summary>
    public static Tensor AddInPlace(Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.add_(s, One); // add_(Scalar) alone would pass an implicit alpha = 1
    }

    /// <summary>In place: <c>a += alpha * b</c>.</summary>
    public static Tensor AddInPlace(Tensor a, Tensor b, double alpha)
    {
        using Scalar s = alpha.ToScalar();
        return a.add_(b, s);
    }

    /// <summary>In place: <c>a += value * b * c</c>.</summary>
    public static Tensor AddProductInPlace(Tensor a, Tensor b, Tensor c, double value)
    {
        using Scalar s = value.ToScalar();
        return a.addcmul_(b, c, s);
    }

    /// <summary>In place: <c>a += value * b / c</c>.</summary>
    public static Tensor AddQuotientInPlace(Tensor a, Tensor b, Tensor c, double value)
    {
        using Scalar s = value.ToScalar();
        return a.addcdiv_(b, c, s);
    }

    /// <summary>In place: every element of <paramref name="a"/> becomes <paramref name="value"/>.</summary>
    public static Tensor FillInPlace(Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.fill_(s);
    }
}
