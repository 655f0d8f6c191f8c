using EegDino.ML.Model;
using EegDino.ML.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace EegDino.ML.Tests.Cuda;

/// <summary>
/// The patch embedding's convolutions on CUDA, the unfold form (the default) and libtorch's (cuDNN,
/// <c>EEGDINO_CONVOLUTION=libtorch</c>), against the naive oracle of <see cref="ConvolutionPathTests"/>.
/// </summary>
[TestClass]
[TestCategory(CudaMachine.Category)]
public sealed class CudaConvolutionTests
{
    [TestMethod]
    [DataRow(1, 25, 49, 25, 24, false, "libtorch")]
    [DataRow(25, 25, 3, 1, 1, false, "libtorch")]
    [DataRow(200, 200, 5, 1, 2, true, "libtorch")]
    [DataRow(16, 16, 3, 2, 0, true, "libtorch")]
    [DataRow(25, 25, 3, 1, 1, false, "unfold")]
    [DataRow(200, 200, 5, 1, 2, true, "unfold")]
    public void BothConvolutionPathsEqualTheNaiveConvolutionOnCuda(int cin, int cout, int k, int stride, int pad, bool depthwise, string path)
    {
        CudaMachine.Require();
        Assert.IsFalse(UnfoldConv2d.UsesLibTorch, "the unfold form by default on CUDA");
        bool tf32 = TorchSharp.torch.backends.cudnn.allow_tf32;
        KernelSwitches.Convolution = path;
        TorchSharp.torch.backends.cudnn.allow_tf32 = false; // as the runtime sets it without AllowTf32
        try
        {
            manual_seed(7);
            const int n = 2, h = 3;
            int w = stride > 1 ? 248 - 2 * pad : 10;
            using var conv = new UnfoldConv2d(cin, cout, k, stride, pad, depthwise);
            using (no_grad())
            {
                foreach (var p in conv.parameters()) p.normal_(0, 0.5);
            }
            var parameters = conv.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
            using var x = randn(n, cin, h, w);
            conv.to(CUDA);
            using var onGpu = x.to(CUDA);
            using var y = conv.forward(onGpu);
            using var back = y.cpu();
            double[] expected = ConvolutionPathTests.NaiveConv(x.data<float>().ToArray(), n, cin, h, w, parameters["weight"], parameters["bias"], cout, k, stride, pad, depthwise);
            float[] actual = back.contiguous().data<float>().ToArray();
            Assert.AreEqual(expected.Length, actual.Length);
            double error = Fixtures.Nrmse(actual, expected);
            Console.WriteLine($"convolution {path} cin {cin} cout {cout} k {k} depthwise {depthwise}: NRMSE {error:E2}");
            Assert.IsTrue(error < 1e-6, $"{path} on CUDA: NRMSE {error:E2}");
        }
        finally
        {
            KernelSwitches.Convolution = null;
            TorchSharp.torch.backends.cudnn.allow_tf32 = tf32;
        }
    }
}
