using System.IO.Compression;
using System.Reflection;
using EegDino.ML.MLNet;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

// The round trip of the self-test saves and loads a component of its own, through the same
// LoadableClass mechanism, writer and reader as the two transformers.
[assembly: LoadableClass(typeof(PersistenceProbeTransformer), typeof(PersistenceProbeTransformer), null,
    typeof(SignatureLoadModel), "EEG-DINO persistence self-test", PersistenceProbeTransformer.LoaderSignature)]

namespace EegDino.ML.MLNet.Internals;

/// <summary>
/// Checks every non-public ML.NET name the library depends on, both ways: by reflection against the
/// Microsoft.ML assemblies loaded at run time (<see cref="Names"/>), and by exercising it: a save and
/// load round trip through <c>mlContext.Model</c> (registration, headers, versions, streams and
/// entries), the schema shapes built and read back, the trainer's info and environment. So an
/// ML.NET upgrade fails here, by name, instead of with a MissingMethodException in a user's process.
/// A test scans the library's IL and checks that <see cref="Names"/> is exactly the set it uses.
/// </summary>
internal static class MLNetInternalsSelfTest
{
    /// <summary>
    /// Every non-public ML.NET type and member the library's code references, as the IL scan names
    /// them: <c>Namespace.Type</c> (nested types <c>Outer/Inner</c>), <c>Type::Field</c>,
    /// <c>Type::Method(ParameterTypeName,...)</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "Microsoft.ML.LoadableClassAttribute",
        "Microsoft.ML.LoadableClassAttribute::.ctor(Type,Type,Type,Type,String,String[])",
        "Microsoft.ML.LoadableClassAttributeBase",
        "Microsoft.ML.LoadableClassAttributeBase::get_InstanceType()",
        "Microsoft.ML.LoadableClassAttributeBase::get_LoaderType()",
        "Microsoft.ML.LoadableClassAttributeBase::get_LoadNames()",
        "Microsoft.ML.ModelHeader",
        "Microsoft.ML.ModelHeader::ModelVerReadable",
        "Microsoft.ML.ModelHeader::ModelVerWritten",
        "Microsoft.ML.ModelLoadContext",
        "Microsoft.ML.ModelLoadContext::CheckAtModel()",
        "Microsoft.ML.ModelLoadContext::CheckVersionInfo(VersionInfo)",
        "Microsoft.ML.ModelLoadContext::Directory",
        "Microsoft.ML.ModelLoadContext::Header",
        "Microsoft.ML.ModelLoadContext::Reader",
        "Microsoft.ML.ModelLoadContext::TryLoadBinaryStream(String,Action`1)",
        "Microsoft.ML.ModelSaveContext::CheckAtModel()",
        "Microsoft.ML.ModelSaveContext::SaveBinaryStream(String,Action`1)",
        "Microsoft.ML.ModelSaveContext::SetVersionInfo(VersionInfo)",
        "Microsoft.ML.ModelSaveContext::Writer",
        "Microsoft.ML.SchemaShape/Column::.ctor(String,VectorKind,DataViewType,Boolean,SchemaShape)",
        "Microsoft.ML.Runtime.Contracts",
        "Microsoft.ML.Runtime.Contracts::CheckAlive(IHostEnvironment)",
        "Microsoft.ML.Runtime.IHostEnvironmentInternal",
        "Microsoft.ML.Runtime.IHostEnvironmentInternal::get_FallbackToCpu()",
        "Microsoft.ML.Runtime.IHostEnvironmentInternal::get_GpuDeviceId()",
        "Microsoft.ML.SchemaShape::Create(DataViewSchema)",
        "Microsoft.ML.SignatureLoadModel",
        "Microsoft.ML.TrainerInfo::.ctor(Boolean,Boolean,Boolean,Boolean,Boolean,Boolean)",
        "Microsoft.ML.VersionInfo",
        "Microsoft.ML.VersionInfo::.ctor(String,UInt32,UInt32,UInt32,String,String,String)",
    ];

    /// <summary>Names reached by reflection only (invisible to an IL scan), each also exercised below.</summary>
    public static readonly IReadOnlyList<string> ReflectionOnlyNames =
    [
        TrainerInternals.InternalCatalogTypeName + "::get_Environment()",
        // Only the self-test calls it, to check that CheckAlive sees a cancellation.
        "Microsoft.ML.MLContext::CancelExecution()",
    ];

    private const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Every problem found (empty when all is well); each names what is missing or behaves differently.</summary>
    public static IReadOnlyList<string> FindProblems()
    {
        var problems = new List<string>();
        foreach (string name in Names.Concat(ReflectionOnlyNames))
        {
            if (!Exists(name)) problems.Add($"{name} is missing from the Microsoft.ML assemblies loaded at run time.");
        }
        CheckLoaderRegistrations(problems);
        Exercise("save/load round trip", problems, RoundTrip);
        Exercise("schema shapes", problems, SchemaShapesRoundTrip);
        Exercise("trainer info", problems, TrainerInfoRoundTrip);
        Exercise("trainer environment", problems, p =>
        {
            var ml = new MLContext(seed: 1);
            if (TrainerInternals.GetEnvironment(ml.MulticlassClassification.Trainers) is null) p.Add("the catalog's environment is null.");
        });
        Exercise("cancellation check", problems, CancellationRoundTrip);
        return problems;
    }

    private static void Exercise(string what, List<string> problems, Action<List<string>> check)
    {
        try
        {
            check(problems);
        }
        catch (Exception e)
        {
            problems.Add($"{what} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    // --- by reflection

    private static Assembly[] MLNetAssemblies() =>
    [
        typeof(ModelSaveContext).Assembly,            // Microsoft.ML.Core
        typeof(MulticlassClassificationCatalog).Assembly, // Microsoft.ML.Data
        typeof(DataViewSchema).Assembly,              // Microsoft.ML.DataView
    ];

    private static bool Exists(string name)
    {
        int sep = name.IndexOf("::", StringComparison.Ordinal);
        string typeName = (sep < 0 ? name : name[..sep]).Replace('/', '+');
        Type? type = MLNetAssemblies().Select(a => a.GetType(typeName)).FirstOrDefault(t => t is not null);
        if (type is null) return false;
        if (sep < 0) return true;
        string member = name[(sep + 2)..];
        int open = member.IndexOf('(');
        if (open < 0) return type.GetField(member, Any) is not null;
        string methodName = member[..open];
        string[] parameters = member[(open + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<MethodBase> candidates = methodName == ".ctor" ? type.GetConstructors(Any) : type.GetMethods(Any).Where(m => m.Name == methodName);
        return candidates.Any(m => m.GetParameters().Select(p => p.ParameterType.Name).SequenceEqual(parameters));
    }

    private static void CheckLoaderRegistrations(List<string> problems)
    {
        var attributes = typeof(MLNetInternalsSelfTest).Assembly.GetCustomAttributes<LoadableClassAttribute>().ToList();
        foreach (var (signature, instance, loader) in new[]
        {
            (EegDinoEmbeddingTransformer.LoaderSignature, typeof(EegDinoEmbeddingTransformer), typeof(EmbeddingTransformerLoader)),
            (EegDinoClassificationTransformer.LoaderSignature, typeof(EegDinoClassificationTransformer), typeof(ClassifierTransformerLoader)),
            (PersistenceProbeTransformer.LoaderSignature, typeof(PersistenceProbeTransformer), typeof(PersistenceProbeTransformer)),
        })
        {
            var attribute = attributes.SingleOrDefault(a => a.LoadNames.Contains(signature));
            if (attribute is null)
            {
                problems.Add($"The LoadableClass attribute for {instance.Name} ('{signature}') is not visible (IgnoresAccessChecksTo not honoured?).");
                continue;
            }
            if (attribute.InstanceType != instance || attribute.LoaderType != loader)
                problems.Add($"The LoadableClass attribute for '{signature}' names {attribute.InstanceType?.Name} loaded by {attribute.LoaderType?.Name}; {instance.Name} loaded by {loader.Name} was expected.");
            var create = loader.GetMethod("Create", Any, null, [typeof(IHostEnvironment), typeof(ModelLoadContext)], null);
            if (create is null || !create.IsStatic || create.ReturnType != instance)
                problems.Add($"{loader.Name}.Create(IHostEnvironment, ModelLoadContext), static and returning {instance.Name}, is missing.");
        }
    }

    // --- by exercise

    private static void RoundTrip(List<string> problems)
    {
        var weights = new byte[4099];
        new Random(17).NextBytes(weights);
        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["Text"] = "µV / 100", ["Number"] = "42" };
        var ml = new MLContext(seed: 1);
        using var zip = new MemoryStream();
        ml.Model.Save(new PersistenceProbeTransformer(new PersistedModelState(properties, weights)), null, zip);

        zip.Position = 0;
        var loaded = ml.Model.Load(zip, out _) as PersistenceProbeTransformer;
        if (loaded is null)
        {
            problems.Add("mlContext.Model.Load did not return the saved self-test component.");
            return;
        }
        var state = loaded.State;
        if (!state.Properties.OrderBy(p => p.Key).SequenceEqual(properties.OrderBy(p => p.Key)))
            problems.Add("the main stream's properties did not round-trip.");
        if (!state.Weights.AsSpan().SequenceEqual(weights)) problems.Add("the weights entry did not round-trip.");
        if (state.VersionWritten != PersistenceProbeTransformer.PersistenceFormat.VersionWritten)
            problems.Add($"the header's written version reads {ModelZipFormat.Text(state.VersionWritten)}; {ModelZipFormat.Text(PersistenceProbeTransformer.PersistenceFormat.VersionWritten)} was written.");
        if (state.LibraryVersion != PersistedModelState.CurrentLibraryVersion) problems.Add("the library version did not round-trip.");

        zip.Position = 0;
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        if (archive.GetEntry(state.WeightsEntryName) is null)
            problems.Add($"the load context's directory gives the weights entry '{state.WeightsEntryName}', which is not in the zip ({string.Join(", ", archive.Entries.Select(e => e.FullName))}).");
    }

    private static void SchemaShapesRoundTrip(List<string> problems)
    {
        var schema = new DataViewSchema.Builder();
        schema.AddColumn("Signal", new VectorDataViewType(NumberDataViewType.Single, 6));
        SchemaShape input = SchemaShapes.FromSchema(schema.ToSchema());
        if (Find(input, "Signal") is not { Kind: SchemaShape.Column.VectorKind.Vector } signal || signal.ItemType != NumberDataViewType.Single)
            problems.Add("SchemaShape.Create does not describe a known-size Vector<Single> column as such.");

        SchemaShape vector = SchemaShapes.WithSingleVector(input, "Embedding");
        if (Find(vector, "Embedding") is not { Kind: SchemaShape.Column.VectorKind.Vector, IsKey: false } embedding
            || embedding.ItemType != NumberDataViewType.Single || Find(vector, "Signal") is null)
            problems.Add("the SchemaShape.Column constructor does not give the Vector<Single> column asked for next to the input's.");

        SchemaShape multiclass = SchemaShapes.WithMulticlassOutputs(input, labelHasKeyValues: true);
        if (Find(multiclass, EegDinoClassificationTransformer.PredictedLabelColumnName) is not { IsKey: true } predicted
            || predicted.ItemType != NumberDataViewType.UInt32 || Find(predicted.Annotations, "KeyValues") is null)
            problems.Add("the multiclass PredictedLabel shape is not a UInt32 key with key values.");
        if (Find(multiclass, EegDinoClassificationTransformer.ScoreColumnName) is not { } score
            || Find(score.Annotations, "SlotNames") is null || Find(score.Annotations, "ScoreColumnSetId") is not { IsKey: true })
            problems.Add("the multiclass Score shape lacks its annotations.");
    }

    // SchemaShape.TryFindColumn is internal; the shape is a public list.
    private static SchemaShape.Column? Find(SchemaShape shape, string name) =>
        shape.Where(c => c.Name == name).Select(c => (SchemaShape.Column?)c).SingleOrDefault();

    private static void CancellationRoundTrip(List<string> problems)
    {
        var ml = new MLContext(seed: 1);
        IHost host = ((IHostEnvironment)ml).Register("EegDino self-test");
        TrainerInternals.CheckAlive(host); // a live context passes
        var cancel = typeof(MLContext).GetMethod("CancelExecution", Any, null, Type.EmptyTypes, null);
        if (cancel is null)
        {
            problems.Add("MLContext.CancelExecution() is missing.");
            return;
        }
        cancel.Invoke(ml, null);
        try
        {
            TrainerInternals.CheckAlive(host);
            problems.Add("Contracts.CheckAlive does not throw after mlContext.CancelExecution().");
        }
        catch (OperationCanceledException)
        {
            // what the trainer relies on
        }
    }

    private static void DeviceSettingsRoundTrip(List<string> problems)
    {
        // A model loader gets a host registered under the MLContext: it must see the context's settings.
        var ml = new MLContext(seed: 1) { FallbackToCpu = true, GpuDeviceId = 3 };
        IHost host = ((IHostEnvironment)ml).Register("EegDino self-test");
        if (DeviceSettings.Of(ml) != (true, 3) || DeviceSettings.Of(host) != (true, 3))
            problems.Add($"IHostEnvironmentInternal does not carry mlContext.FallbackToCpu/GpuDeviceId (context {DeviceSettings.Of(ml)}, host {DeviceSettings.Of(host)}).");
    }

    private static void TrainerInfoRoundTrip(List<string> problems)
    {
        // The constructor's arguments are all booleans: a reordering in ML.NET would pass silently.
        TrainerInfo info = TrainerInternals.Info();
        if (info.NeedNormalization || info.WantCaching)
            problems.Add("the TrainerInfo constructor's arguments no longer map to NeedNormalization and WantCaching.");
    }
}

/// <summary>
/// The self-test's own persisted component: an identity transformer carrying a
/// <see cref="PersistedModelState"/>, saved and loaded like the real transformers. Never used otherwise.
/// </summary>
internal sealed class PersistenceProbeTransformer(PersistedModelState state) : ITransformer
{
    /// <summary>Stored in the self-test's zips only.</summary>
    public const string LoaderSignature = "EegDinoSelfTestXf";

    /// <summary>The writer's current version, as a real component declares it.</summary>
    public static readonly ModelZipFormat PersistenceFormat = new(
        ModelSignature: "EEGDINOT", LoaderSignature: LoaderSignature,
        VersionWritten: 0x00010002, VersionReadable: 0x00010001, OldestReadable: 0x00010001);

    public PersistedModelState State { get; } = state;

    public bool IsRowToRowMapper => false;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    public IDataView Transform(IDataView input) => input;

    void ICanSaveModel.Save(ModelSaveContext ctx) => ModelZipWriter.Save(ctx, PersistenceFormat, State);

    // Found by ML.NET by reflection, as the real loaders' Create.
    private static PersistenceProbeTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        return new PersistenceProbeTransformer(ModelZipReader.Load(ctx, PersistenceFormat));
    }
}
