using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace EegDino.ML.MLNet.Internals;

/// <summary>What the classifier trainer needs from ML.NET beyond its public API (its output shape is in <see cref="SchemaShapes"/>).</summary>
internal static class TrainerInternals
{
    /// <summary>The internal interface behind every catalog, in Microsoft.ML.Data (not publicized: read by reflection).</summary>
    public const string InternalCatalogTypeName = "Microsoft.ML.Data.IInternalCatalog";

    /// <summary>
    /// The environment behind a trainer catalog (<c>mlContext.MulticlassClassification.Trainers</c>):
    /// ML.NET keeps it behind the internal interface <c>IInternalCatalog</c> of Microsoft.ML.Data.
    /// </summary>
    public static IHostEnvironment GetEnvironment(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var property = typeof(MulticlassClassificationCatalog).Assembly.GetType(InternalCatalogTypeName)?.GetProperty("Environment");
        return property?.GetValue(catalog) as IHostEnvironment
            ?? throw new InvalidOperationException($"Cannot read the MLContext behind {catalog.GetType().Name} ({InternalCatalogTypeName}.Environment is missing: was Microsoft.ML upgraded?).");
    }

    /// <summary>
    /// Throws when the MLContext was cancelled (<c>mlContext.CancelExecution()</c>): ML.NET's own
    /// trainers call the internal <c>Contracts.CheckAlive</c> every step, and so does this one.
    /// </summary>
    public static void CheckAlive(IHost host) => Contracts.CheckAlive(host);

    /// <summary>How ML.NET sees the trainer: no normalisation or caching needed, validation data supported.</summary>
    public static TrainerInfo Info() => new(normalization: false, caching: false, calibration: false,
        supportValid: true, supportIncrementalTrain: false, supportTest: false);
}
