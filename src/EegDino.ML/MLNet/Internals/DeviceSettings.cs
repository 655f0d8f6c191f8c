using Microsoft.ML.Runtime;

namespace EegDino.ML.MLNet.Internals;

/// <summary>
/// The MLContext's device settings (<c>mlContext.FallbackToCpu</c>, <c>mlContext.GpuDeviceId</c>, public
/// on MLContext), read from the environment ML.NET hands a model loader through its internal
/// <c>IHostEnvironmentInternal</c>, as ML.NET's own TorchSharp components read them.
/// </summary>
internal static class DeviceSettings
{
    public static (bool FallbackToCpu, int? GpuDeviceId) Of(IHostEnvironment env) =>
        env is IHostEnvironmentInternal settings ? (settings.FallbackToCpu, settings.GpuDeviceId) : (false, null);
}
