namespace EegDino.ML.Tests;

/// <summary>
/// Scratch space of the test run: every temporary file and folder of the suite lives under
/// <see cref="RunRoot"/>, one fresh folder per run (several sessions share /tmp), removed by
/// <see cref="TestRun.Cleanup"/> at the end. A test that wants its folder gone sooner uses
/// <c>using var folder = TempFolder.Create();</c>.
/// </summary>
internal sealed class TempFolder : IDisposable
{
    private static readonly Lazy<string> Root = new(() => Directory.CreateTempSubdirectory("eegdino-tests-").FullName);

    /// <summary>This run's scratch root (created on first use).</summary>
    public static string RunRoot => Root.Value;

    /// <summary>Whether any test asked for scratch space.</summary>
    public static bool Created => Root.IsValueCreated;

    private TempFolder(string path) => Path = path;

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>A new, empty folder under <see cref="RunRoot"/>.</summary>
    public static TempFolder Create(string prefix = "t") =>
        new(Directory.CreateDirectory(System.IO.Path.Combine(RunRoot, $"{prefix}-{Guid.NewGuid():N}")).FullName);

    /// <summary>A path inside the folder (the file is not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A unique file path under <see cref="RunRoot"/>, for helpers that hand out single files.</summary>
    public static string NewFile(string prefix, string extension) => System.IO.Path.Combine(RunRoot, $"{prefix}-{Guid.NewGuid():N}{extension}");

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open (e.g. mapped by a native library) is removed with the run root.
        }
    }
}
