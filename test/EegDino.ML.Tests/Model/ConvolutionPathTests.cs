using EegDino.ML.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// The patch embedding's convolutions avoid libtorch's oneDNN convolution, which returns wrong float32
/// values on these machines for input-channel counts that are not multiples of 16 (docs/parity.md).
/// <see cref="UnfoldConv2d"/> is checked against a naive loop; the Small fixture's parity test fails
/// if a 25-channel oneDNN convolution ever comes back into the forward pass.
/// </summary>
[TestClass]
public sealed class ConvolutionPathTests
{
    internal static double[] NaiveConv(float[] x, int n, int cin, int h, int w, float[] weight, float[] bias, int cout, int k, int stride, int pad, bool depthwise)
    {
        int wOut = (w + 2 * pad - k) / stride + 1;
        var y = new double[n * cout * h * wOut];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < cout; o++)
        for (int r = 0; r < h; r++)
        for (int c = 0; c < wOut; c++)
        {
            double sum = bias[o];
            for (int i = depthwise ? o : 0; i < (depthwise ? o + 1 : cin); i++)
            for (int t = 0; t < k; t++)
            {
                int col = c * stride + t - pad;
                if (col < 0 || col >= w) continue;
                int wi = depthwise ? o * k + t : (o * cin + i) * k + t;
                sum += (double)weight[wi] * x[((b * cin + i) * h + r) * w + col];
            }
            y[((b * cout + o) * h + r) * wOut + c] = sum;
        }
        return y;
    }

    [TestMethod]
    [DataRow(1, 25, 49, 25, 24, false)]  // Small's first convolution
    [DataRow(25, 25, 3, 1, 1, false)]    // Small's (1, 3) convolutions: the ones oneDNN gets wrong
    [DataRow(17, 24, 3, 1, 1, false)]
    [DataRow(64, 128, 3, 1, 1, false)]
    [DataRow(40, 40, 5, 1, 2, true)]     // the depthwise time encoding
    [DataRow(200, 200, 5, 1, 2, true)]
    [DataRow(16, 16, 3, 2, 0, true)]     // a strided depthwise one, no padding
    public void UnfoldConvolutionEqualsNaiveConvolution(int cin, int cout, int k, int stride, int pad, bool depthwise)
    {
        manual_seed(7);
        const int n = 2, h = 3;
        int w = stride > 1 ? 248 - 2 * pad : 10;
        using var conv = new UnfoldConv2d(cin, cout, k, stride, pad, depthwise);
        using (no_grad())
        {
            foreach (var p in conv.parameters()) p.normal_(0, 0.5);
        }
        using var x = randn(n, cin, h, w);
        using var y = conv.forward(x);
        var parameters = conv.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        double[] expected = NaiveConv(x.data<float>().ToArray(), n, cin, h, w, parameters["weight"], parameters["bias"], cout, k, stride, pad, depthwise);
        float[] actual = y.data<float>().ToArray();
        Assert.AreEqual(expected.Length, actual.Length);
        double error = Fixtures.Nrmse(actual, expected);
        Assert.IsTrue(error < 1e-6, $"NRMSE {error:E2}");
    }

    [TestMethod]
    public void EveryDeviceComputesThroughUnfoldUnlessLibTorchIsForced()
    {
        Assert.IsNull(KernelSwitches.Convolution);
        Assert.IsFalse(UnfoldConv2d.UsesLibTorch, "oneDNN's float32 convolution is wrong on these CPUs; cuDNN's took 190 ms of Large's forward on an H200");
        KernelSwitches.Convolution = "libtorch";
        try
        {
            Assert.IsTrue(UnfoldConv2d.UsesLibTorch);
        }
        finally
        {
            KernelSwitches.Convolution = null;
        }
        Assert.AreEqual("libtorch", KernelSwitches.Read("EEGDINO_CONVOLUTION", "LibTorch", "unfold", "libtorch"));
        StringAssert.Contains(Assert.ThrowsExactly<EegDinoException>(() => KernelSwitches.Read("EEGDINO_CONVOLUTION", "cudnn", "unfold", "libtorch")).Message,
            "expected unfold, libtorch or auto");
    }

    [TestMethod]
    public void StateDictKeysAreThoseOfConv2d()
    {
        using var conv = new UnfoldConv2d(25, 25, 3, 1, 1);
        var shapes = conv.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        CollectionAssert.AreEqual(new long[] { 25, 25, 1, 3 }, shapes["weight"]);
        CollectionAssert.AreEqual(new long[] { 25 }, shapes["bias"]);
        Assert.AreEqual(2, shapes.Count);
    }
}
