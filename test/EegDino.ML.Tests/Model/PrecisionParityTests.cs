using EegDino.ML.Model;
using EegDino.ML.Weights;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// The accuracy cost of BFloat16 and Float16 against the float64 references of the golden fixtures
/// (braindecode's EEGDINO in PyTorch). Each bound is at most twice the worst NRMSE measured over the
/// three fixtures on this project's machine (docs/encoder.md, "Reduced precision"), and never looser
/// than 5e-2 (bfloat16) or 1e-2 (float16) for the encoder output.
/// </summary>
[TestClass]
public sealed class PrecisionParityTests
{
    public static IEnumerable<object[]> Cases =>
        from c in Fixtures.Cases
        from p in new[] { EegDinoPrecision.BFloat16, EegDinoPrecision.Float16 }
        select new object[] { c, p };

    /// <summary>Bounds per precision: encoder output, pooled mean, logits (NRMSE), and 1 - cosine of the pooled embeddings (worst row).</summary>
    private static (double Encoder, double Pooled, double Logits, double Cosine) Bounds(EegDinoPrecision precision) => precision switch
    {
        EegDinoPrecision.BFloat16 => (1.1e-2, 9e-3, 1.1e-2, 2e-5),
        EegDinoPrecision.Float16 => (1.4e-3, 1.2e-3, 1e-3, 3.6e-7),
        _ => throw new ArgumentOutOfRangeException(nameof(precision)),
    };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ReducedPrecisionStaysWithinItsMeasuredBounds(string caseName, EegDinoPrecision precision)
    {
        var io = Fixtures.Io(caseName);
        var (encoder, pooled, logits, rows) = Run(caseName, precision);

        double encoderError = Fixtures.Nrmse(encoder, io["encoder_output.f64"].Data);
        double pooledError = Fixtures.Nrmse(pooled, io["pooled_mean.f64"].Data);
        double logitsError = Fixtures.Nrmse(logits, io["logits.f64"].Data);
        double cosine = WorstCosine(pooled, io["pooled_mean.f64"].Data, rows);
        Console.WriteLine($"{caseName} {precision}: encoder_output {encoderError:E2}, pooled_mean {pooledError:E2}, logits {logitsError:E2}, 1 - cosine {1 - cosine:E2}");

        var bound = Bounds(precision);
        Assert.IsLessThanOrEqualTo(bound.Encoder, encoderError, $"{caseName} {precision} encoder_output NRMSE");
        Assert.IsLessThanOrEqualTo(bound.Pooled, pooledError, $"{caseName} {precision} pooled_mean NRMSE");
        Assert.IsLessThanOrEqualTo(bound.Logits, logitsError, $"{caseName} {precision} logits NRMSE");
        Assert.IsLessThanOrEqualTo(bound.Cosine, 1 - cosine, $"{caseName} {precision} 1 - cosine of the pooled embeddings");
        // Reduced precision must not be mistaken for float32: the error is well above float32's 1e-6.
        Assert.IsGreaterThan(1e-5, encoderError, $"{caseName} {precision}: the network does not seem to compute in the reduced type");
    }

    /// <summary>Encoder output, pooled mean and logits of the fixture input in <paramref name="precision"/>.</summary>
    internal static (float[] Encoder, float[] Pooled, float[] Logits, int Rows) Run(string caseName, EegDinoPrecision precision)
    {
        var weights = NetworkWeights.Load(Fixtures.Weights(caseName), EegDinoWeightSource.Student, Fixtures.Config(caseName));
        using var lease = EegDinoRuntime.Create(weights, new EegDinoModelOptions { InputScale = 1f, Precision = precision }, withHead: true);
        float[] input = Fixtures.Input(caseName, out long[] shape);
        EegDinoEncoding encoding = lease.Runtime.Encode(input, (int)shape[0], (int)shape[1]);
        return (encoding.Tokens, encoding.PooledMean, encoding.Logits!, (int)shape[0]);
    }

    /// <summary>The smallest cosine similarity between a row of <paramref name="actual"/> and the same row of <paramref name="expected"/>.</summary>
    internal static double WorstCosine(float[] actual, double[] expected, int rows)
    {
        int dim = actual.Length / rows;
        double worst = 1;
        for (int r = 0; r < rows; r++)
        {
            double dot = 0, a2 = 0, e2 = 0;
            for (int i = r * dim; i < (r + 1) * dim; i++)
            {
                dot += actual[i] * expected[i];
                a2 += (double)actual[i] * actual[i];
                e2 += expected[i] * expected[i];
            }
            worst = Math.Min(worst, dot / Math.Sqrt(a2 * e2));
        }
        return worst;
    }
}
