using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.MLNet.Internals;

/// <summary>
/// Schema shapes for the estimators' <c>GetOutputSchema</c> (the <c>SchemaShape.Column</c> constructor
/// and <c>SchemaShape.Create</c> are internal).
/// </summary>
internal static class SchemaShapes
{
    /// <summary>The shape of a schema, as ML.NET's estimator chains compute it (tests use it to call GetOutputSchema).</summary>
    public static SchemaShape FromSchema(DataViewSchema schema) => SchemaShape.Create(schema);

    /// <summary>The input shape plus a known-size <c>Vector&lt;Single&gt;</c> column, which replaces a column of the same name.</summary>
    public static SchemaShape WithSingleVector(SchemaShape input, string name) =>
        With(input, Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false));

    /// <summary>
    /// The input shape plus the multiclass outputs: <c>Score</c> (known-size Vector&lt;Single&gt; with
    /// the annotations of ML.NET's multiclass scorers) and <c>PredictedLabel</c> (a UInt32 key).
    /// </summary>
    public static SchemaShape WithMulticlassOutputs(SchemaShape input, bool labelHasKeyValues)
    {
        var text = TextDataViewType.Instance;
        const SchemaShape.Column.VectorKind Scalar = SchemaShape.Column.VectorKind.Scalar, Vector = SchemaShape.Column.VectorKind.Vector;
        var scoreAnnotations = new List<SchemaShape.Column>
        {
            Column("ScoreColumnSetId", Scalar, NumberDataViewType.UInt32, isKey: true),
            Column("ScoreColumnKind", Scalar, text, isKey: false),
            Column("ScoreValueKind", Scalar, text, isKey: false),
        };
        var predictedAnnotations = new List<SchemaShape.Column>(scoreAnnotations);
        if (labelHasKeyValues)
        {
            scoreAnnotations.Add(Column("SlotNames", Vector, text, isKey: false));
            scoreAnnotations.Add(Column("TrainingLabelValues", Vector, text, isKey: false));
            predictedAnnotations.Add(Column("KeyValues", Vector, text, isKey: false));
        }
        return With(input,
            Column(EegDinoClassificationTransformer.ScoreColumnName, Vector, NumberDataViewType.Single, isKey: false, new SchemaShape(scoreAnnotations)),
            Column(EegDinoClassificationTransformer.PredictedLabelColumnName, Scalar, NumberDataViewType.UInt32, isKey: true, new SchemaShape(predictedAnnotations)));
    }

    private static SchemaShape.Column Column(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey, SchemaShape? annotations = null) =>
        new(name, kind, itemType, isKey, annotations);

    // Added columns replace input columns of the same name, as in ML.NET's own estimators.
    private static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added)
    {
        var columns = input.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (var column in added) columns[column.Name] = column;
        return new SchemaShape(columns.Values);
    }
}
