namespace EegDino.ML.Eeg;

/// <summary>Physical dimensions of EDF signals and their factor to microvolts.</summary>
internal static class EegUnits
{
    /// <summary>
    /// Factor from <paramref name="dimension"/> to microvolts, or null if it is not a voltage.
    /// Accepts the spellings seen in the wild: <c>uV</c>, <c>µV</c> (not legal ASCII, but passed
    /// through by some writers), <c>mV</c>, <c>V</c>, <c>nV</c>, any case except that <c>MV</c> is
    /// read as millivolts too (no EEG is recorded in megavolts).
    /// </summary>
    internal static double? MicrovoltsPerUnit(string dimension) => dimension.Trim().ToLowerInvariant() switch
    {
        "uv" or "µv" or "μv" or "microvolt" or "microvolts" => 1.0,
        "mv" or "millivolt" or "millivolts" => 1e3,
        "v" or "volt" or "volts" => 1e6,
        "nv" or "nanovolt" or "nanovolts" => 1e-3,
        _ => null,
    };
}
