using EegDino.ML.Onnx;
using EegDino.ML.Weights;

namespace EegDino.ML;

/// <summary>
/// Exports a loaded EEG-DINO model as an ONNX graph, built in C# from the weights (no Python), for ONNX
/// Runtime on any of its execution providers (DirectML, CoreML, CUDA, TensorRT, OpenVINO, ROCm, CPU)
/// and for ML.NET's <c>mlContext.Transforms.ApplyOnnxModel</c>.
/// </summary>
/// <remarks>
/// <para>The graph has one input, <c>input</c>: float32 <c>[batch, channels, samples]</c> in the units
/// <see cref="EegDinoEncoder.Encode(float[], int)"/> takes (microvolts by default): the encoder's
/// <see cref="EegDinoEncoderOptions.InputScale"/> is applied inside the graph. Batch, channel count
/// (1 to 19) and length are dynamic; a length that is not a multiple of 200 samples is right-padded
/// with zeros inside the graph, as the encoder does. Outputs, as <c>eegdino encode</c> names them:
/// <c>encoder_output</c> <c>[batch, G + C*P, D]</c>, <c>global_token</c> <c>[batch, D]</c>,
/// <c>pooled_mean</c> <c>[batch, D]</c> and, for a model with a classification head, <c>logits</c>
/// <c>[batch, classes]</c>. The model's metadata (<c>eegdino.*</c> keys) states the input contract
/// (<see cref="EegDinoEncoder.InputContract"/>: channel order, sampling rate, input scale, patch size),
/// the channel slots and the configuration JSON.</para>
/// <para>In float32 the graph reproduces the TorchSharp encoder: on the golden fixtures, ONNX Runtime's
/// CPU provider scores NRMSE at most 1e-6 against PyTorch's float64 reference for every output
/// (docs/onnx.md has the figures, the float16 accuracy and the speed).</para>
/// </remarks>
/// <example>
/// <code>
/// using var encoder = EegDinoEncoder.Load("model.safetensors");
/// EegDinoOnnxExporter.Export(encoder, "eegdino.onnx");
/// // ML.NET: mlContext.Transforms.ApplyOnnxModel(["pooled_mean"], ["input"], "eegdino.onnx",
/// //     new Dictionary&lt;string, int[]&gt; { ["input"] = [1, 19, 2000] })
/// </code>
/// </example>
public static class EegDinoOnnxExporter
{
    /// <summary>The name of the graph's only input.</summary>
    public const string InputName = "input";

    /// <summary>The lowest opset written: 17 has <c>LayerNormalization</c> and <c>DFT</c>.</summary>
    public const int MinimumOpset = 17;

    /// <summary>The highest opset written (ONNX 1.18's); the fixtures pass through ONNX Runtime 1.31 at every opset from 17 to 23.</summary>
    public const int MaximumOpset = 23;

    /// <summary>The outputs a graph can have, in the order they are written.</summary>
    public static IReadOnlyList<string> OutputNames { get; } = ["encoder_output", "global_token", "pooled_mean", "logits"];

    /// <summary>
    /// Exports <paramref name="encoder"/> (with its head, when it has one) to an ONNX file. The file is
    /// written under a temporary name in the same folder and renamed when complete, so a failed export
    /// leaves no partial file and an existing file is replaced only by a complete one.
    /// </summary>
    /// <param name="encoder">A loaded encoder; its weights, configuration and input scale go into the graph.</param>
    /// <param name="outputPath">The <c>.onnx</c> file to write.</param>
    /// <param name="options">Outputs, precision and opset; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is not valid for this model (the message names it).</exception>
    /// <exception cref="EegDinoException">The file cannot be written (the message names the path and the reason), or the model exceeds protobuf's 2 GiB limit.</exception>
    public static void Export(EegDinoEncoder encoder, string outputPath, EegDinoOnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        OnnxModel model = Build(encoder, options);
        string full = Path.GetFullPath(outputPath);
        if (Directory.Exists(full))
            throw new EegDinoException($"Cannot write the ONNX model to '{outputPath}': it is a folder; give a file path such as '{Path.Combine(outputPath, "eegdino.onnx")}'.");
        string temporary = full + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                model.Save(stream);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            throw new EegDinoException($"Cannot write the ONNX model to '{outputPath}': {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Exports <paramref name="encoder"/> to a stream (the caller keeps ownership).</summary>
    /// <param name="encoder">A loaded encoder.</param>
    /// <param name="destination">A writable stream; the ONNX protobuf bytes are written from its current position.</param>
    /// <param name="options">Outputs, precision and opset; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is not valid for this model, or the stream is not writable.</exception>
    /// <exception cref="EegDinoException">The model exceeds protobuf's 2 GiB limit.</exception>
    public static void Export(EegDinoEncoder encoder, Stream destination, EegDinoOnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite) throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        Build(encoder, options).Save(destination);
    }

    /// <summary>
    /// Loads a model as <see cref="EegDinoEncoder.Load(string, EegDinoEncoderOptions?)"/> does (strictly:
    /// a checkpoint with missing, unexpected or mis-shaped weights is refused with the loader's
    /// message) and exports it to an ONNX file.
    /// </summary>
    /// <param name="modelPath">A model file or folder (safetensors, braindecode folder, torch <c>.pt</c>).</param>
    /// <param name="outputPath">The <c>.onnx</c> file to write.</param>
    /// <param name="modelOptions">How to load the model (input scale, weight source, configuration); null for the defaults. The device is not used: the weights are read on the CPU.</param>
    /// <param name="options">Outputs, precision and opset; null for the defaults.</param>
    /// <exception cref="EegDinoModelFormatException">The model cannot be read.</exception>
    /// <exception cref="EegDinoWeightsMismatchException">The weights do not fit the network.</exception>
    /// <exception cref="EegDinoException">The file cannot be written.</exception>
    public static void Export(string modelPath, string outputPath, EegDinoEncoderOptions? modelOptions = null, EegDinoOnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var loadOptions = modelOptions?.Clone() ?? new EegDinoEncoderOptions();
        loadOptions.Device = "cpu";
        using var encoder = EegDinoEncoder.Load(modelPath, loadOptions);
        Export(encoder, outputPath, options);
    }

    internal static OnnxModel Build(EegDinoEncoder encoder, EegDinoOnnxExportOptions? options)
    {
        var runtime = encoder.Runtime;
        int? headClasses = runtime.Network.Head?.NumberOfClasses;
        var settings = OnnxExportSettings.Resolve(options?.Clone() ?? new EegDinoOnnxExportOptions(), headClasses);
        var weights = runtime.Run(() => NetworkWeights.Extract(runtime.Network));
        return OnnxEncoderGraph.Build(weights, runtime.Config, encoder.InputContract, settings);
    }
}
