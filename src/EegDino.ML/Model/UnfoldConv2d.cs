using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EegDino.ML.Model;

/// <summary>
/// Mirrors <c>torch.nn.Conv2d</c> with a <c>(1, k)</c> kernel (state_dict keys <c>weight</c>
/// <c>[out, in/groups, 1, k]</c> and <c>bias</c> <c>[out]</c>), computed as unfold + matmul
/// (ordinary) or a sum of shifted slices (depthwise) instead of calling libtorch's convolution.
/// Why: libtorch 2.10's oneDNN float32 convolution returns wrong values on these machines (AMD EPYC,
/// AVX-512) when the input-channel count is not a multiple of 16, e.g. the Small preset's 25-channel
/// convolutions (encoder NRMSE 0.23 vs PyTorch). These convolutions are about 1% of the FLOPs, and the
/// unfold form uses only matmul, which is correct. <c>ConvolutionPathTests</c> keeps a naive oracle.
/// The unfold form is used on CUDA too: cuDNN's convolution is correct there but, measured on an
/// H200 (docs/gpu.md), took 190 ms of Large's 264 ms bf16 forward at batch 256 (the whole forward with unfold: 96 ms)
/// and changed nothing for Small and Medium. The environment variable <c>EEGDINO_CONVOLUTION</c>
/// (<see cref="KernelSwitches"/>) forces libtorch's, to compare them or to check a new libtorch.
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
        Tensor output = UsesLibTorch
            ? nn.functional.conv2d(input, weight, bias, strides: [1, _stride], padding: [0, _padding], groups: _depthwise ? weight.shape[0] : 1)
            : _depthwise ? Depthwise(input) : Ordinary(input);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>Whether libtorch's convolution computes: only when forced (<see cref="KernelSwitches.Convolution"/>); the unfold form is the default everywhere.</summary>
    internal static bool UsesLibTorch => KernelSwitches.Convolution == "libtorch";

    /// <summary>groups = 1: the windows of all input channels as columns, times the weight matrix.</summary>
    private Tensor Ordinary(Tensor input)
    {
        Tensor x = _padding > 0 ? nn.functional.pad(input, [_padding, _padding]) : input;
        Tensor windows = x.unfold(3, _kernel, _stride); // [N, Cin, H, W', k]
        long n = windows.shape[0], cin = windows.shape[1], h = windows.shape[2], wOut = windows.shape[3];
        // Contiguous on purpose: with one input channel the reshape is still a view of overlapping
        // windows, which libtorch's matmul does not take as a BLAS operand (the Medium first
        // convolution took 24 ms that way at batch 8, 1 ms from a contiguous copy).
        Tensor columns = windows.permute(0, 2, 3, 1, 4).reshape(n, h, wOut, cin * _kernel).contiguous(); // [N, H, W', Cin*k]
        Tensor w = weight.view(weight.shape[0], cin * _kernel);                                          // [Cout, Cin*k]
        return nn.functional.linear(columns, w, bias).permute(0, 3, 1, 2).contiguous();                   // [N, Cout, H, W']
    }

    /// <summary>
    /// groups = channels: each channel with its own k-tap filter, out[n, c, h, w] = bias[c] +
    /// sum_k x[n, c, h, w*s + k] * weight[c, k], as k shifted slices of the padded input taken
    /// channels-last (contiguous when the caller's tensor is a channels-last view, as the patch
    /// embedding's is). The result is a [N, C, H, W'] view of a channels-last tensor.
    /// </summary>
    private Tensor Depthwise(Tensor input)
    {
        Tensor x = input.permute(0, 2, 3, 1); // [N, H, W, C]
        if (_padding > 0) x = nn.functional.pad(x, [0, 0, _padding, _padding]);
        long wOut = (x.shape[2] - _kernel) / _stride + 1;
        Tensor taps = weight.view(-1, _kernel).t(); // [k, C]
        Tensor output = bias;
        for (int k = 0; k < _kernel; k++)
        {
            Tensor shifted = x.slice(2, k, k + (wOut - 1) * _stride + 1, _stride); // [N, H, W', C]
            output = TorchScalars.Add(shifted * taps[k], output);
        }
        return output.permute(0, 3, 1, 2);
    }
}
