using System.Globalization;

namespace EegDino.ML;

/// <summary>
/// What every entry point shares about the model and its input: where the weights are, which
/// encoder of a training checkpoint, the architecture, the device and number type, and the input
/// conventions (scale, channel order, sampling rate). <see cref="EegDinoEncoderOptions"/>,
/// <see cref="EegDinoEmbeddingOptions"/> and <see cref="EegDinoClassifierTrainer.Options"/> each own
/// one (their <c>Model</c> property) and forward their like-named members to it, so there is one
/// set of defaults and one <see cref="Validate"/>. Defaults match the released model.
/// </summary>
/// <remarks>
/// The input conventions travel with a fitted model as its <see cref="EegDinoInputContract"/>: saved
/// in the ML.NET model zip and in the safetensors metadata this library writes, and exposed by the
/// loaded encoder and transformers (<c>InputContract</c>).
/// </remarks>
public sealed class EegDinoModelOptions
{
    /// <summary>
    /// The model: a safetensors file, a braindecode folder (<c>config.json</c> + <c>model.safetensors</c>)
    /// or a released <c>.pt</c> checkpoint. Required by the ML.NET estimator and the trainer; the
    /// encoder's <c>Load</c> takes the path as its argument instead.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// Factor applied to the input before the network. The released model was pre-trained on
    /// microvolts divided by 100, so with input in microvolts the default 0.01 is right; use 1 for
    /// input already scaled. Must be positive and finite.
    /// </summary>
    public float InputScale { get; set; } = 0.01f;

    /// <summary>
    /// Torch device: <c>"cpu"</c> (default), <c>"cuda"</c> / <c>"cuda:N"</c> (needs a TorchSharp CUDA
    /// backend package in the application; docs/gpu.md) or <c>"mps"</c> (Apple silicon). A device
    /// that is not available is a clear error at load.
    /// </summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The number type the network computes in; <see cref="EegDinoPrecision.Float32"/> (default) is the parity mode.</summary>
    public EegDinoPrecision Precision { get; set; } = EegDinoPrecision.Float32;

    /// <summary>
    /// On CUDA, let float32 matmuls use TF32 tensor cores (libtorch's <c>torch.backends.cuda.matmul.allow_tf32</c>;
    /// default false, the parity mode). Faster on Ampere and later, with an encoder-output NRMSE of about
    /// 5e-4 instead of 4e-7 (measured on an H200: docs/gpu.md). The switch is process-wide in libtorch:
    /// loading an encoder with this option sets it for every network of the process, and loading one
    /// without it on CUDA clears it. Ignored on the CPU.
    /// </summary>
    public bool AllowTf32 { get; set; }

    /// <summary>Which encoder to take from a training checkpoint holding a student and a teacher (default: student, as the original fine-tuning code).</summary>
    public EegDinoWeightSource WeightSource { get; set; } = EegDinoWeightSource.Student;

    /// <summary>
    /// The architecture, overriding what is stored with or detected from the weights; null (default)
    /// to use the file's own. Needed only for custom architectures that carry no configuration.
    /// </summary>
    public EegDinoConfig? Config { get; set; }

    /// <summary>
    /// Names of the input channels in order (channel i of the input uses the model's channel slot i),
    /// e.g. the montage the rows were built with; null (default) when the channels are not named.
    /// Recorded in the model's <see cref="EegDinoInputContract"/> so that a saved model says what to
    /// feed it. At most as many names as the model has channel slots (19 released), all distinct.
    /// </summary>
    public IReadOnlyList<string>? ChannelNames { get; set; }

    /// <summary>Sampling rate of the input in Hz (200, the released model's: one 200-sample patch is one second). Recorded in the input contract.</summary>
    public double SamplesPerSecond { get; set; } = 200;

    /// <summary>
    /// How the rows were filtered and re-referenced before the model saw them (e.g. the
    /// <c>EegLoaderOptions.Filters</c> the loader used); <see cref="Eeg.EegFilterOptions.None"/> by
    /// default. The model does not filter: this is recorded in the input contract, so that a saved
    /// model's <see cref="EegDinoInputContract.ToLoaderOptions"/> loads new recordings the same way.
    /// </summary>
    public Eeg.EegFilterOptions Filters { get; set; } = Eeg.EegFilterOptions.None;

    /// <summary>A copy (the channel names are copied too).</summary>
    /// <returns>A new instance with the same values.</returns>
    public EegDinoModelOptions Clone()
    {
        var copy = (EegDinoModelOptions)MemberwiseClone();
        copy.ChannelNames = ChannelNames?.ToArray();
        return copy;
    }

    /// <summary>
    /// Checks every value, naming the option, its value and what was expected. Called by every entry
    /// point before anything is loaded; the channel count is checked against the model's channel
    /// slots once the configuration is known (<see cref="Config"/> here, else the loaded model's).
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (!float.IsFinite(InputScale) || InputScale <= 0)
            throw new ArgumentOutOfRangeException(nameof(InputScale), InputScale, $"InputScale is {Format(InputScale)}; a positive finite factor was expected (0.01 for microvolts, 1 for data already scaled).");
        if (string.IsNullOrWhiteSpace(Device))
            throw new ArgumentException("Device is empty; expected \"cpu\", \"cuda\", \"cuda:N\" or \"mps\".", nameof(Device));
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"Precision is {Precision}; expected one of {string.Join(", ", Enum.GetNames<EegDinoPrecision>())}.");
        if (!Enum.IsDefined(WeightSource))
            throw new ArgumentOutOfRangeException(nameof(WeightSource), WeightSource, $"WeightSource is {WeightSource}; expected Student or Teacher.");
        if (!double.IsFinite(SamplesPerSecond) || SamplesPerSecond <= 0)
            throw new ArgumentOutOfRangeException(nameof(SamplesPerSecond), SamplesPerSecond, $"SamplesPerSecond is {Format(SamplesPerSecond)}; a positive rate in Hz was expected (200 for the released model).");
        if (ChannelNames is { } names)
        {
            if (names.Count == 0)
                throw new ArgumentException("ChannelNames is empty; give null for unnamed channels or at least one name.", nameof(ChannelNames));
            for (int i = 0; i < names.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(names[i]))
                    throw new ArgumentException($"ChannelNames[{i}] is empty; every channel needs a name.", nameof(ChannelNames));
            }
            var duplicate = names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
                throw new ArgumentException($"ChannelNames holds '{duplicate.Key}' {duplicate.Count()} times; each channel must appear once.", nameof(ChannelNames));
        }
        if (Filters is null) throw new ArgumentNullException(nameof(Filters), "Filters is null; use EegFilterOptions.None for unfiltered input.");
        if (Config is { } config && ChannelNames is { Count: var count } && count > config.NumberOfChannelEmbeddings)
            throw new ArgumentException($"ChannelNames lists {count} channels; the model has {config.NumberOfChannelEmbeddings} channel slots.", nameof(ChannelNames));
    }

    /// <summary>
    /// Checks <paramref name="numberOfChannels"/> against the model's channel slots (taken from the
    /// configuration, not a constant) and against <see cref="ChannelNames"/> when they are given.
    /// </summary>
    internal void CheckChannels(int numberOfChannels, EegDinoConfig config, string paramName)
    {
        int slots = config.NumberOfChannelEmbeddings;
        if (numberOfChannels < 1 || numberOfChannels > slots)
        {
            throw new ArgumentOutOfRangeException(paramName, numberOfChannels,
                $"{paramName} is {numberOfChannels}; the model has {slots} channel slots, so 1 to {slots} channels are accepted.");
        }
        if (ChannelNames is { } names && names.Count != numberOfChannels)
        {
            throw new ArgumentException(
                $"ChannelNames lists {names.Count} channels ({string.Join(", ", names)}), but the rows hold {numberOfChannels}; they must agree.", paramName);
        }
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
