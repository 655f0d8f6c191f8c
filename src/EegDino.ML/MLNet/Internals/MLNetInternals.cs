// Every dependency of EegDino.ML on ML.NET names that are not public lives in this file. They are
// reachable because the library compiles against a publicized copy of Microsoft.ML.Core.dll
// (build/EegDino.Publicize.targets) and the runtime honours IgnoresAccessChecksTo below.
// Microsoft.ML is pinned to one version in Directory.Packages.props; after changing it, run the
// tests in test/EegDino.ML.Tests/MLNet (MLNetInternalsTests checks every name used here).
// See docs/mlnet.md, "Persistence mechanism and its fragility".

using System.Reflection;
using System.Runtime.CompilerServices;
using EegDino.ML;
using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]

// ML.NET's model loader finds this through the loader signature stored in the model zip, after
// loading this assembly by its simple name. No library code runs before (no initializer needed).
// Arguments: instance type, loader type, argument type (none), signature, user name, load names.
[assembly: LoadableClass(typeof(EegDinoEmbeddingTransformer), typeof(EmbeddingTransformerLoader), null,
    typeof(SignatureLoadModel), "EEG-DINO embedding transformer", EmbeddingTransformerLoader.LoaderSignature)]
[assembly: LoadableClass(typeof(EegDinoClassificationTransformer), typeof(ClassifierTransformerLoader), null,
    typeof(SignatureLoadModel), "EEG-DINO classification transformer", ClassifierTransformerLoader.LoaderSignature)]

namespace System.Runtime.CompilerServices
{
    /// <summary>
    /// Lets this assembly call non-public members of the named assembly. Honoured by the .NET
    /// runtime (not by the C# compiler, hence the publicized reference). Declared here because the
    /// framework does not ship the type.
    /// </summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}

namespace EegDino.ML.MLNet.Internals
{
    /// <summary>
    /// How a component identifies itself in a model zip (ML.NET's <c>VersionInfo</c>):
    /// an 8-character model signature, the loader signature of its <c>LoadableClass</c>, and the
    /// versions written, readable and read back (each <c>0x00010001</c>-style).
    /// </summary>
    internal sealed record ModelZipFormat(string ModelSignature, string LoaderSignature,
        uint VersionWritten, uint VersionReadable, uint OldestReadable);

    /// <summary>Saving and loading a <see cref="PersistedModelState"/> through ML.NET's model contexts.</summary>
    internal static class ModelZip
    {
        /// <summary>Zip entry (inside the component's folder) holding the encoder weights as safetensors.</summary>
        public const string WeightsEntryName = "EegDinoWeights.safetensors";

        public static void Save(ModelSaveContext ctx, ModelZipFormat format, PersistedModelState state)
        {
            ArgumentNullException.ThrowIfNull(ctx);
            ctx.CheckAtModel();
            ctx.SetVersionInfo(ToVersionInfo(format));
            state.WriteMain(ctx.Writer);
            ctx.SaveBinaryStream(WeightsEntryName, writer =>
            {
                writer.Flush();
                writer.Write(state.Weights);
            });
        }

        public static PersistedModelState Load(ModelLoadContext ctx, ModelZipFormat format)
        {
            ArgumentNullException.ThrowIfNull(ctx);
            ctx.CheckAtModel(ToVersionInfo(format));
            var (formatVersion, libraryVersion, properties) = PersistedModelState.ReadMain(ctx.Reader);
            byte[]? weights = null;
            bool found = ctx.TryLoadBinaryStream(WeightsEntryName, reader =>
            {
                using var copy = new MemoryStream();
                reader.BaseStream.CopyTo(copy);
                weights = copy.ToArray();
            });
            if (!found || weights is null)
                throw new EegDinoModelFormatException($"The model zip lacks the entry '{WeightsEntryName}' with the EEG-DINO weights.");
            return new PersistedModelState(properties, weights, formatVersion, libraryVersion);
        }

        private static VersionInfo ToVersionInfo(ModelZipFormat format) => new(
            modelSignature: format.ModelSignature,
            verWrittenCur: format.VersionWritten,
            verReadableCur: format.VersionReadable,
            verWeCanReadBack: format.OldestReadable,
            // The simple name, not the full name: a model saved by version N must load with version M.
            loaderAssemblyName: typeof(ModelZip).Assembly.GetName().Name!,
            loaderSignature: format.LoaderSignature);
    }

    /// <summary>Schema shapes for estimators (the <c>SchemaShape.Column</c> constructor is internal).</summary>
    internal static class SchemaShapes
    {
        /// <summary>The shape of a schema, as ML.NET's estimator chains compute it (tests use it to call GetOutputSchema).</summary>
        public static SchemaShape FromSchema(DataViewSchema schema) => SchemaShape.Create(schema);

        /// <summary>The input shape plus a known-size <c>Vector&lt;Single&gt;</c> column, which replaces a column of the same name.</summary>
        public static SchemaShape WithSingleVector(SchemaShape input, string name)
        {
            var columns = input.ToDictionary(c => c.Name, StringComparer.Ordinal);
            columns[name] = new SchemaShape.Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, null);
            return new SchemaShape(columns.Values);
        }
    }

    /// <summary>The loader ML.NET calls for a saved <see cref="EegDinoEmbeddingTransformer"/>.</summary>
    internal static class EmbeddingTransformerLoader
    {
        /// <summary>Stored in the model zip; never change it (saved models name their loader by it).</summary>
        public const string LoaderSignature = "EegDinoEmbeddingXf";

        /// <summary>Version 1.1 (0x00010001): the first format. Bump VersionWritten for additions older readers can skip.</summary>
        public static readonly ModelZipFormat Format = new(
            ModelSignature: "EEGDINOE", LoaderSignature: LoaderSignature,
            VersionWritten: 0x00010001, VersionReadable: 0x00010001, OldestReadable: 0x00010001);

        // Found by ML.NET by reflection: a static Create(IHostEnvironment, ModelLoadContext).
        private static EegDinoEmbeddingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
        {
            ArgumentNullException.ThrowIfNull(env);
            return EegDinoEmbeddingTransformer.FromState(ModelZip.Load(ctx, Format));
        }

        public static void Save(ModelSaveContext ctx, PersistedModelState state) => ModelZip.Save(ctx, Format, state);
    }

    /// <summary>The loader ML.NET calls for a saved <see cref="EegDinoClassificationTransformer"/> (the trained classifier).</summary>
    internal static class ClassifierTransformerLoader
    {
        /// <summary>Stored in the model zip; never change it (saved models name their loader by it).</summary>
        public const string LoaderSignature = "EegDinoClassifierXf";

        /// <summary>Version 1.1 (0x00010001): the first format.</summary>
        public static readonly ModelZipFormat Format = new(
            ModelSignature: "EEGDINOC", LoaderSignature: LoaderSignature,
            VersionWritten: 0x00010001, VersionReadable: 0x00010001, OldestReadable: 0x00010001);

        // Found by ML.NET by reflection: a static Create(IHostEnvironment, ModelLoadContext).
        private static EegDinoClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
        {
            ArgumentNullException.ThrowIfNull(env);
            return EegDinoClassificationTransformer.FromState(ModelZip.Load(ctx, Format));
        }

        public static void Save(ModelSaveContext ctx, PersistedModelState state) => ModelZip.Save(ctx, Format, state);
    }

    /// <summary>What the classifier trainer needs from ML.NET beyond its public API.</summary>
    internal static class TrainerInternals
    {
        private const string InternalCatalogTypeName = "Microsoft.ML.Data.IInternalCatalog";

        /// <summary>
        /// The environment behind a trainer catalog (<c>mlContext.MulticlassClassification.Trainers</c>):
        /// ML.NET keeps it behind the internal interface <c>IInternalCatalog</c> of Microsoft.ML.Data,
        /// which is not publicized, so it is read by reflection.
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

        /// <summary>
        /// The input shape plus the multiclass outputs: <c>Score</c> (known-size Vector&lt;Single&gt; with
        /// the annotations of ML.NET's multiclass scorers) and <c>PredictedLabel</c> (a UInt32 key).
        /// </summary>
        public static SchemaShape WithMulticlassOutputs(SchemaShape input, bool labelHasKeyValues)
        {
            var text = TextDataViewType.Instance;
            var scoreAnnotations = new List<SchemaShape.Column>
            {
                new("ScoreColumnSetId", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, null),
                new("ScoreColumnKind", SchemaShape.Column.VectorKind.Scalar, text, false, null),
                new("ScoreValueKind", SchemaShape.Column.VectorKind.Scalar, text, false, null),
            };
            var predictedAnnotations = new List<SchemaShape.Column>(scoreAnnotations);
            if (labelHasKeyValues)
            {
                scoreAnnotations.Add(new("SlotNames", SchemaShape.Column.VectorKind.Vector, text, false, null));
                scoreAnnotations.Add(new("TrainingLabelValues", SchemaShape.Column.VectorKind.Vector, text, false, null));
                predictedAnnotations.Add(new("KeyValues", SchemaShape.Column.VectorKind.Vector, text, false, null));
            }
            var columns = input.ToDictionary(c => c.Name, StringComparer.Ordinal);
            columns[EegDinoClassificationTransformer.ScoreColumnName] = new SchemaShape.Column(EegDinoClassificationTransformer.ScoreColumnName,
                SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, new SchemaShape(scoreAnnotations));
            columns[EegDinoClassificationTransformer.PredictedLabelColumnName] = new SchemaShape.Column(EegDinoClassificationTransformer.PredictedLabelColumnName,
                SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, new SchemaShape(predictedAnnotations));
            return new SchemaShape(columns.Values);
        }
    }

    /// <summary>
    /// Checks that every internal ML.NET name this file relies on still exists with the expected
    /// shape, so that an ML.NET upgrade fails here, by name, instead of with a MissingMethodException
    /// in a user's process.
    /// </summary>
    internal static class MLNetInternalsSelfTest
    {
        public static IReadOnlyList<string> FindProblems()
        {
            var problems = new List<string>();
            Assembly core = typeof(ModelSaveContext).Assembly;
            const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

            void Method(Type type, string name, params Type[] parameters)
            {
                if (type.GetMethod(name, Any, null, parameters, null) is null)
                    problems.Add($"{type.FullName}.{name}({string.Join(", ", parameters.Select(p => p.Name))}) is missing.");
            }
            void Field(Type type, string name, Type fieldType)
            {
                FieldInfo? field = type.GetField(name, Any);
                if (field is null || field.FieldType != fieldType) problems.Add($"{type.FullName}.{name} (a {fieldType.Name} field) is missing.");
            }
            void Constructor(Type type, params Type[] parameters)
            {
                if (type.GetConstructor(Any, null, parameters, null) is null)
                    problems.Add($"{type.FullName}({string.Join(", ", parameters.Select(p => p.Name))}) constructor is missing.");
            }

            Method(typeof(ModelSaveContext), nameof(ModelSaveContext.CheckAtModel));
            Method(typeof(ModelSaveContext), nameof(ModelSaveContext.SetVersionInfo), typeof(VersionInfo));
            Method(typeof(ModelSaveContext), nameof(ModelSaveContext.SaveBinaryStream), typeof(string), typeof(Action<BinaryWriter>));
            Field(typeof(ModelSaveContext), nameof(ModelSaveContext.Writer), typeof(BinaryWriter));
            Method(typeof(ModelLoadContext), nameof(ModelLoadContext.CheckAtModel), typeof(VersionInfo));
            Method(typeof(ModelLoadContext), nameof(ModelLoadContext.TryLoadBinaryStream), typeof(string), typeof(Action<BinaryReader>));
            Field(typeof(ModelLoadContext), nameof(ModelLoadContext.Reader), typeof(BinaryReader));
            Constructor(typeof(VersionInfo), typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string));
            Constructor(typeof(SchemaShape.Column), typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape));
            Constructor(typeof(SchemaShape), typeof(IEnumerable<SchemaShape.Column>));
            Method(typeof(SchemaShape), nameof(SchemaShape.Create), typeof(DataViewSchema));
            if (core.GetType("Microsoft.ML.SignatureLoadModel") is null) problems.Add("Microsoft.ML.SignatureLoadModel is missing.");
            Constructor(typeof(TrainerInfo), typeof(bool), typeof(bool), typeof(bool), typeof(bool), typeof(bool), typeof(bool));
            try
            {
                _ = TrainerInternals.GetEnvironment(new MLContext(seed: 1).MulticlassClassification.Trainers);
            }
            catch (InvalidOperationException e)
            {
                problems.Add(e.Message);
            }
            var classifierAttribute = typeof(ModelZip).Assembly.GetCustomAttributes<LoadableClassAttribute>()
                .SingleOrDefault(a => a.LoadNames.Contains(ClassifierTransformerLoader.LoaderSignature));
            if (classifierAttribute is null) problems.Add("The LoadableClass attribute for the classification transformer is not visible.");
            else if (classifierAttribute.LoaderType != typeof(ClassifierTransformerLoader) || classifierAttribute.InstanceType != typeof(EegDinoClassificationTransformer))
                problems.Add("The LoadableClass attribute for the classification transformer names the wrong loader or instance type.");

            // The attribute must be one the runtime recognises, and ML.NET must see our loader.
            var attribute = typeof(ModelZip).Assembly.GetCustomAttributes<LoadableClassAttribute>()
                .SingleOrDefault(a => a.LoadNames.Contains(EmbeddingTransformerLoader.LoaderSignature));
            if (attribute is null) problems.Add("The LoadableClass attribute for the embedding transformer is not visible (IgnoresAccessChecksTo not honoured?).");
            else if (attribute.LoaderType.GetMethod("Create", Any, null, [typeof(IHostEnvironment), typeof(ModelLoadContext)], null) is null)
                problems.Add("EmbeddingTransformerLoader.Create(IHostEnvironment, ModelLoadContext) is missing.");
            return problems;
        }
    }
}
