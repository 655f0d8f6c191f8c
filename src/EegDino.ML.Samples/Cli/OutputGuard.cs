namespace EegDino.ML.Samples.Cli;

/// <summary>Guards against an output that would overwrite an input (also through a symbolic link).</summary>
internal static class OutputGuard
{
    /// <summary>Throws a <see cref="UsageException"/> naming the option when <paramref name="output"/> is one of <paramref name="inputs"/>.</summary>
    public static void EnsureNotAnInput(string option, string output, params IEnumerable<string> inputs)
    {
        string target = Resolve(output);
        foreach (string input in inputs)
            if (string.Equals(Resolve(input), target, StringComparison.Ordinal))
                throw new UsageException($"{option} is '{output}', which is the input '{input}'; choose another file so the input is not overwritten.");
    }

    private static string Resolve(string path)
    {
        var info = new FileInfo(Path.GetFullPath(path));
        return info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName : info.FullName;
    }
}
