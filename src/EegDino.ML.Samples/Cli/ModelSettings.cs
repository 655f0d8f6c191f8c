using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// The model options shared by every command that loads a model: <c>--model</c>, <c>--scale</c>,
/// <c>--device</c>, <c>--source</c>, <c>--config</c>, <c>--precision</c>, and (for the commands that read
/// recordings) the filter options of <see cref="FilterSettings"/>. A command's settings derive
/// from this class and add their own options; <see cref="ValidateCommand"/> checks those.
/// </summary>
internal abstract class ModelSettings : FilterSettings
{
    [CommandOption("--model <PATH>")]
    [Description("The model: a safetensors file, a braindecode-style folder (config.json + model.safetensors) or a torch .pt checkpoint.")]
    public string? Model { get; init; }

    [CommandOption("--scale <FACTOR>")]
    [Description("Factor applied to the input: 0.01 for microvolts (the released model expects microvolts / 100), 1 for input already scaled.")]
    [DefaultValue(0.01f)]
    public float Scale { get; init; }

    [CommandOption("--device <DEVICE>")]
    [Description("cpu, cuda, cuda:N, cuda:auto (the scheduler's GPU for this process) or mps (CUDA needs the TorchSharp CUDA backend in the app).")]
    [DefaultValue("cpu")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--source <SOURCE>")]
    [Description("Which encoder of a DINO training checkpoint holding both: student or teacher.")]
    [DefaultValue("student")]
    public string Source { get; init; } = "student";

    [CommandOption("--config <FILE>")]
    [Description("The architecture as JSON in braindecode's EEGDINO keyword names, for custom models that carry none.")]
    public string? Config { get; init; }

    [CommandOption("--precision <PRECISION>")]
    [Description("The number type the network computes in: fp32 (parity with PyTorch), bf16 or fp16.")]
    [DefaultValue("fp32")]
    public string Precision { get; init; } = "fp32";

    [CommandOption("--tf32")]
    [Description("On CUDA, let float32 matmuls use TF32 (faster, encoder-output NRMSE about 5e-4 instead of 4e-7; docs/gpu.md).")]
    public bool Tf32 { get; init; }

    /// <summary>Whether <c>--model</c> must be given (the demo has a bundled default).</summary>
    protected virtual bool ModelRequired => true;

    public sealed override ValidationResult Validate() => OptionValues.First(
        ModelRequired && string.IsNullOrWhiteSpace(Model) ? ValidationResult.Error("--model is required: a model file or folder.") : null,
        float.IsFinite(Scale) && Scale != 0 ? null : ValidationResult.Error($"--scale is {Scale}; a finite, non-zero factor was expected (0.01 for microvolts)."),
        OptionValues.Device(Device),
        OptionValues.Source(Source),
        OptionValues.Precision("--precision", Precision),
        ValidateFilters(),
        ValidateCommand());

    /// <summary>Model commands read no recordings unless they say so (embed, demo, train-classifier do).</summary>
    protected override bool ReadsRecordings => false;

    /// <summary>The command's own checks, after the model options'; null when all is well.</summary>
    protected virtual ValidationResult? ValidateCommand() => null;

    public EegDinoWeightSource WeightSource => OptionValues.WeightSource(Source);

    public EegDinoPrecision ComputePrecision => OptionValues.ParsePrecision(Precision)!.Value;

    /// <summary>The architecture read from <c>--config</c>, or null when it is not given.</summary>
    public EegDinoConfig? LoadConfig() => Config is null ? null : EegDinoConfig.FromJson(File.ReadAllText(Config));

    /// <summary>
    /// The library's shared model options (<see cref="EegDinoModelOptions"/>) these settings stand
    /// for, taken as they are by the encoder, the ML.NET transform and the trainer.
    /// </summary>
    public EegDinoModelOptions ToModelOptions(string? modelPath = null) => new()
    {
        ModelPath = modelPath ?? Model,
        InputScale = Scale,
        Device = Device,
        WeightSource = WeightSource,
        Config = LoadConfig(),
        Precision = ComputePrecision,
        AllowTf32 = Tf32,
        Filters = ToFilterOptions(),
    };

    /// <summary>The options for <see cref="EegDinoEncoder.Load(string, EegDinoEncoderOptions?)"/>.</summary>
    public EegDinoEncoderOptions ToEncoderOptions() => new() { Model = ToModelOptions() };
}
