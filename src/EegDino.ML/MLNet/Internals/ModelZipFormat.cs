using Microsoft.ML;

namespace EegDino.ML.MLNet.Internals;

/// <summary>
/// How a component identifies itself in a model zip, in ML.NET's <c>VersionInfo</c> terms: an
/// 8-character model signature, the loader signature of its <c>LoadableClass</c>, and the
/// persistence versions (each <c>0x00010001</c>-style). This is the library's only version scheme
/// for a persisted component; each transformer declares its own next to its version history.
/// </summary>
/// <param name="ModelSignature">8 ASCII characters identifying the component's data (e.g. <c>EEGDINOE</c>).</param>
/// <param name="LoaderSignature">The name ML.NET looks the loader up by; never changes once released.</param>
/// <param name="VersionWritten">The version this library writes.</param>
/// <param name="VersionReadable">The oldest reader version that can read what this library writes
/// (older than <paramref name="VersionWritten"/> when the change only adds what old readers skip).</param>
/// <param name="OldestReadable">The oldest written version this library still reads.</param>
internal sealed record ModelZipFormat(string ModelSignature, string LoaderSignature,
    uint VersionWritten, uint VersionReadable, uint OldestReadable)
{
    /// <summary>ML.NET's header for this format.</summary>
    internal VersionInfo ToVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: VersionWritten,
        verReadableCur: VersionReadable,
        verWeCanReadBack: OldestReadable,
        // The simple name, not the full name: a model saved by version N must load with version M.
        loaderAssemblyName: typeof(ModelZipFormat).Assembly.GetName().Name!,
        loaderSignature: LoaderSignature);

    /// <summary><paramref name="version"/> as ML.NET and the version histories write it (<c>0x00010002</c>).</summary>
    public static string Text(uint version) => $"0x{version:X8}";
}
