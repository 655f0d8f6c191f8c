using System.Globalization;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace EegDino.ML.Samples.Cli;

/// <summary>
/// The checks and names shared by the commands' settings. Each check returns an error that names
/// the option, the value given and what was expected, or null when the value is fine.
/// </summary>
internal static partial class OptionValues
{
    /// <summary>The model's sampling rate: window lengths shorter than one of its samples give no input.</summary>
    public const double ModelSamplesPerSecond = 200;

    /// <summary>The longest window or stride accepted, in seconds (a day: longer is a typo, not a recording).</summary>
    public const double MaximumSeconds = 86_400;

    /// <summary>The spellings of <c>--precision</c> and the library's values.</summary>
    public static readonly IReadOnlyList<(string Name, EegDinoPrecision Precision)> Precisions =
        [("fp32", EegDinoPrecision.Float32), ("bf16", EegDinoPrecision.BFloat16), ("fp16", EegDinoPrecision.Float16)];

    public static string PrecisionNames => string.Join(", ", Precisions.Select(p => p.Name));

    /// <summary>The precision named <paramref name="name"/> (fp32, bf16 or fp16, also float32, bfloat16, float16), or null.</summary>
    public static EegDinoPrecision? ParsePrecision(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        foreach (var (spelled, precision) in Precisions)
            if (n == spelled || n == precision.ToString().ToLowerInvariant()) return precision;
        return null;
    }

    /// <summary>The short name of a precision (fp32, bf16, fp16).</summary>
    public static string Name(EegDinoPrecision precision) => Precisions.First(p => p.Precision == precision).Name;

    public static ValidationResult? Precision(string option, string value) => ParsePrecision(value) is null
        ? ValidationResult.Error($"{option} is '{value}'; one of {PrecisionNames} was expected.") : null;

    /// <summary><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, <c>cuda:auto</c> or <c>mps</c> (the devices the library accepts).</summary>
    public static ValidationResult? Device(string value) => DevicePattern().IsMatch(value.Trim().ToLowerInvariant())
        ? null : ValidationResult.Error($"--device is '{value}'; cpu, cuda, cuda:N, cuda:auto or mps was expected.");

    [GeneratedRegex(@"^(cpu|mps|cuda(:([0-9]+|auto))?)$")]
    private static partial Regex DevicePattern();

    /// <summary><c>student</c> or <c>teacher</c>: the encoder of a DINO training checkpoint.</summary>
    public static ValidationResult? Source(string value) => value is "student" or "teacher"
        ? null : ValidationResult.Error($"--source is '{value}'; student or teacher was expected.");

    /// <summary>The weight source named by a checked <c>--source</c> value.</summary>
    public static EegDinoWeightSource WeightSource(string value) => value == "teacher" ? EegDinoWeightSource.Teacher : EegDinoWeightSource.Student;

    /// <summary>A window length or stride: finite, at least one sample at 200 Hz, at most a day.</summary>
    public static ValidationResult? Seconds(string option, double value) =>
        double.IsFinite(value) && value >= 1 / ModelSamplesPerSecond && value <= MaximumSeconds ? null : ValidationResult.Error(
            string.Create(CultureInfo.InvariantCulture,
                $"{option} is {value}; a number of seconds from {1 / ModelSamplesPerSecond} (one sample at {ModelSamplesPerSecond} Hz) to {MaximumSeconds} was expected."));

    public static ValidationResult? AtLeast(string option, int value, int minimum) => value >= minimum
        ? null : ValidationResult.Error($"{option} is {value}; at least {minimum} was expected.");

    public static ValidationResult? Finite(string option, double value, bool positive) =>
        double.IsFinite(value) && (!positive || value > 0) ? null : ValidationResult.Error(
            string.Create(CultureInfo.InvariantCulture, $"{option} is {value}; a finite{(positive ? ", positive" : "")} number was expected."));

    public static ValidationResult? Fraction(string option, double value) =>
        value > 0 && value < 1 ? null : ValidationResult.Error(
            string.Create(CultureInfo.InvariantCulture, $"{option} is {value}; a fraction between 0 and 1 (exclusive) was expected."));

    /// <summary>The first error of <paramref name="checks"/>, or success.</summary>
    public static ValidationResult First(params ValidationResult?[] checks) =>
        checks.FirstOrDefault(c => c is not null) ?? ValidationResult.Success();

    /// <summary>The items of a comma-separated list, trimmed, empty items dropped.</summary>
    public static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
