using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors <c>torch.nn.Conv2d</c> with a <c>(1, k)</c> kernel (state_dict keys <c>weight</c>
/// <c>[out, in/groups, 1, k]</c> and <c>bias</c> <c>[out]</c>), computed as unfold + matmul
/// (ordinary) or unfold + weighted sum (depthwise) instead of calling libtorch's convolution.
/// Why: libtorch 2.10's oneDNN float32 convolution returns wrong values on these machines (AMD EPYC,
/// AVX-512) when the input-channel count is not a multiple of 16, e.g. the Small preset's 25-channel
/// convolutions (encoder NRMSE 0.23 vs PyTorch). These convolutions are under 1% of the FLOPs, and the
/// unfold form uses only matmul, which is correct. <c>ConvolutionPathTests</c> keeps a naive oracle.
/// </summary>
internal sealed class UnfoldConv2d : nn.Module<Tensor, Tensor>
{
    private readonly int _kernel;
    private readonly int _stride;
    private readonly int _padding;
    private readonly bool _depthwise;

#pragma warning disable IDE1006 // names are the PyTorch state_dict keys
    private readonly Parameter weight;
    private readonly Parameter bias;
#pragma warning restore IDE1006

    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel width (the height is 1).</param>
    /// <param name="stride">Stride along the width.</param>
    /// <param name="padding">Zero padding on each side of the width.</param>
    /// <param name="depthwise">groups = in = out (one filter per channel) instead of groups = 1.</param>
    public UnfoldConv2d(int inChannels, int outChannels, int kernel, int stride, int padding, bool depthwise = false)
        : base(nameof(UnfoldConv2d))
    {
        if (depthwise && inChannels != outChannels)
            throw new ArgumentException($"A depthwise convolution needs in = out channels; got {inChannels} and {outChannels}.");
        _kernel = kernel;
        _stride = stride;
        _padding = padding;
        _depthwise = depthwise;
        weight = new Parameter(zeros(outChannels, depthwise ? 1 : inChannels, 1, kernel));
        bias = new Parameter(zeros(outChannels));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        // [N, Cin, H, W] -> [N, Cout, H, W']
        using var scope = NewDisposeScope();
        Tensor x = _padding > 0 ? nn.functional.pad(input, [_padding, _padding]) : input;
        Tensor windows = x.unfold(3, _kernel, _stride); // [N, Cin, H, W', k]
        Tensor output;
        if (_depthwise)
        {
            // Each channel with its own k-tap filter: sum_k x[n, c, h, w + k] * w[c, k].
            Tensor w = weight.view(1, -1, 1, 1, _kernel);
            output = TorchScalars.Add((windows * w).sum(-1), bias.view(1, -1, 1, 1));
        }
        else
        {
            long n = windows.shape[0], cin = windows.shape[1], h = windows.shape[2], wOut = windows.shape[3];
            Tensor columns = windows.permute(0, 2, 3, 1, 4).reshape(n, h, wOut, cin * _kernel); // [N, H, W', Cin*k]
            Tensor w = weight.view(weight.shape[0], cin * _kernel);                              // [Cout, Cin*k]
            output = nn.functional.linear(columns, w, bias).permute(0, 3, 1, 2);                  // [N, Cout, H, W']
        }
        return output.contiguous().MoveToOuterDisposeScope();
    }
}
