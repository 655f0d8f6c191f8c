using System.Reflection;
using System.Text.RegularExpressions;

namespace EegDino.ML.Tests;

/// <summary>The repository the tests were built from: its README and docs, read by the tests that keep them true.</summary>
internal static partial class Repository
{
    /// <summary>The repository root (recorded at build time).</summary>
    public static string Root
    {
        get
        {
            string root = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;
            if (!File.Exists(Path.Combine(root, "README.md"))) Assert.Fail($"The repository root {root} has no README.md; the tests run from a checkout.");
            return Path.GetFullPath(root);
        }
    }

    /// <summary>README.md and every docs/*.md, as (relative path, text).</summary>
    public static IEnumerable<(string Path, string Text)> MarkdownFiles() =>
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Select(f => Path.GetRelativePath(Root, f)).Order(StringComparer.Ordinal))
            .Select(p => (p, File.ReadAllText(Path.Combine(Root, p))));

    /// <summary>The contents of every fenced block of the given language in <paramref name="markdown"/>.</summary>
    public static IEnumerable<string> FencedBlocks(string markdown, string language) =>
        FencedBlock().Matches(markdown).Where(m => m.Groups[1].Value == language).Select(m => m.Groups[2].Value);

    [GeneratedRegex(@"^```([a-z]*)\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
