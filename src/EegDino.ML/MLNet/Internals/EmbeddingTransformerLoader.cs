using EegDino.ML;
using EegDino.ML.MLNet.Internals;
using Microsoft.ML;
using Microsoft.ML.Runtime;

// ML.NET's model loader finds this through the loader signature stored in the model zip, after
// loading this assembly by its simple name. No library code runs before (no initializer needed).
// Arguments: instance type, loader type, argument type (none), signature, user name, load names.
[assembly: LoadableClass(typeof(EegDinoEmbeddingTransformer), typeof(EmbeddingTransformerLoader), null,
    typeof(SignatureLoadModel), "EEG-DINO embedding transformer", EegDinoEmbeddingTransformer.LoaderSignature)]

namespace EegDino.ML.MLNet.Internals;

/// <summary>The loader ML.NET calls for a saved <see cref="EegDinoEmbeddingTransformer"/> (format and versions in its file).</summary>
internal static class EmbeddingTransformerLoader
{
    // Found by ML.NET by reflection: a static Create(IHostEnvironment, ModelLoadContext).
    private static EegDinoEmbeddingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        // The device follows the loading MLContext's FallbackToCpu and GpuDeviceId (a model saved on a GPU scores on a CPU machine).
        return EegDinoEmbeddingTransformer.FromState(ModelZipReader.Load(ctx, EegDinoEmbeddingTransformer.PersistenceFormat), DeviceSettings.Of(env), message =>
        {
            using var channel = env.Start("EEG-DINO model load");
            channel.Warning(MessageSensitivity.None, message);
        });
    }
}
