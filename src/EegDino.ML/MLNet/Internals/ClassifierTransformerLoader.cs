using EegDino.ML;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Runtime;

// See EmbeddingTransformerLoader.cs for how ML.NET finds a loader.
[assembly: LoadableClass(typeof(EegDinoClassificationTransformer), typeof(ClassifierTransformerLoader), null,
    typeof(SignatureLoadModel), "EEG-DINO classification transformer", EegDinoClassificationTransformer.LoaderSignature)]

namespace EegDino.ML.MLNet.Internals;

/// <summary>The loader ML.NET calls for a saved <see cref="EegDinoClassificationTransformer"/> (format and versions in its file).</summary>
internal static class ClassifierTransformerLoader
{
    // Found by ML.NET by reflection: a static Create(IHostEnvironment, ModelLoadContext).
    private static EegDinoClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        // The device follows the loading MLContext's FallbackToCpu and GpuDeviceId (a model saved on a GPU scores on a CPU machine).
        return EegDinoClassificationTransformer.FromState(ModelZipReader.Load(ctx, EegDinoClassificationTransformer.PersistenceFormat), DeviceSettings.Of(env), message =>
        {
            using var channel = env.Start("EEG-DINO model load");
            channel.Warning(MessageSensitivity.None, message);
        });
    }
}
