using System.Text.RegularExpressions;
using EegDino.ML.Samples.Cli;
using EegDino.ML.Samples.Tensors;

using EegDino.ML.Tests.Eeg;

namespace EegDino.ML.Tests.Samples;

/// <summary>
/// Every <c>eegdino</c> command line written in README.md and docs/*.md parses as written, its
/// command's help works, and the cheap ones (info, inspect, preprocess, convert, encode) run for
/// real in a folder holding the files they name (stand-ins: the Small-preset fixture for
/// model.safetensors, the bundled eegmmidb recordings). A line in a fenced block must be complete;
/// a code span in prose may name a command with some of its options only (its options must exist
/// and their values be valid).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed partial class DocumentedCommandLinesTests
{
    private static readonly HashSet<string> Cheap = new(StringComparer.Ordinal) { "info", "inspect", "preprocess", "convert", "encode" };

    /// <summary>A command line found in the docs: where, and its words after <c>eegdino</c>.</summary>
    internal sealed record DocumentedLine(string File, string Text, string[] Args, bool Fenced);

    internal static List<DocumentedLine> Lines()
    {
        var lines = new List<DocumentedLine>();
        string names = string.Join("|", EegDinoCli.CommandNames.Select(Regex.Escape));
        var invocation = new Regex($@"(?:\beegdino|(?:^|\s)--)\s+((?:{names})(?=\s|$)[^`]*)");
        foreach (var (file, text) in Repository.MarkdownFiles())
        {
            // Code spans and the lines of fenced blocks, with shell line continuations joined.
            var pieces = InlineCode().Matches(text).Select(m => (Text: m.Groups[1].Value, Fenced: false))
                .Concat(Repository.FencedBlocks(text, "sh").Concat(Repository.FencedBlocks(text, ""))
                    .SelectMany(b => b.Replace("\\\n", " ").Split('\n')).Select(l => (Text: l, Fenced: true)));
            foreach (var (piece, fenced) in pieces)
                foreach (Match m in invocation.Matches(piece))
                {
                    string command = m.Groups[1].Value.Trim();
                    int comment = command.IndexOf(" #", StringComparison.Ordinal);
                    if (comment >= 0) command = command[..comment].Trim();
                    lines.Add(new DocumentedLine(file, command, command.Split(' ', StringSplitOptions.RemoveEmptyEntries), fenced));
                }
        }
        return lines;
    }

    private static bool IsMissingRequiredValue(Exception e) =>
        e.Message.Contains(" is required", StringComparison.Ordinal) || e.Message.Contains("missing required argument", StringComparison.Ordinal);

    [GeneratedRegex(@"(?<!`)`([^`\n]+)`(?!`)")]
    private static partial Regex InlineCode();

    [TestMethod]
    public void TheDocsHaveCommandLinesOfEveryKind()
    {
        var lines = Lines();
        var commands = lines.Select(l => l.Args[0]).ToHashSet();
        foreach (string name in new[] { "demo", "embed", "info", "preprocess", "convert", "inspect", "train-classifier", "bench", "encode" })
            Assert.Contains(name, commands, $"no documented command line for {name}");
        Assert.IsGreaterThan(20, lines.Count);
    }

    [TestMethod]
    public void EveryDocumentedCommandLineParsesAndItsHelpWorks()
    {
        var failures = new List<string>();
        foreach (var line in Lines())
        {
            var help = CliHarness.Tester(stopBeforeRunning: false).Run(line.Args[0], "--help");
            if (help.ExitCode != 0) failures.Add($"{line.File}: eegdino {line.Args[0]} --help exits {help.ExitCode}");
            if (line.Args.Length == 1 && line.Args[0] is not ("demo" or "bench")) continue; // a mention of the command, not a command line
            if (line.Args.Contains("--help") || line.Args.Contains("-h")) continue; // the help, run above
            try
            {
                CliHarness.Parse<Spectre.Console.Cli.CommandSettings>(line.Args);
            }
            catch (Spectre.Console.Cli.CommandRuntimeException e) when (!line.Fenced && IsMissingRequiredValue(e))
            {
                // Prose naming a command and one of its options ("`eegdino encode --device cuda`"): the
                // options given exist and their values are valid; the rest of the line is not written.
            }
            catch (Exception e)
            {
                failures.Add($"{line.File}: eegdino {line.Text}\n    {CliErrors.Describe(e).Message}");
            }
        }
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void TheCheapDocumentedCommandLinesRunAsWritten()
    {
        using var folder = TempFolder.Create("docs");
        var encoderOnly = EegDino.ML.Weights.SafetensorsReader.Read(Fixtures.Weights("small")).Tensors
            .Where(t => !t.Key.StartsWith("final_layer.", StringComparison.Ordinal)).ToDictionary();
        EegDino.ML.Weights.SafetensorsWriter.Write(folder.File("model.safetensors"), encoderOnly);
        File.Copy(Fixtures.Weights("small"), folder.File("small.weights.safetensors"));
        foreach (string name in new[] { "S001R01.edf", "S001R02.edf" }) File.Copy(EdfTestWriter.TestData(name), folder.File(name));
        File.Copy(EdfTestWriter.TestData("S001R01.edf"), folder.File("recording.edf"));
        SafetensorsFile.Write(folder.File("in.safetensors"), new Dictionary<string, FloatTensor>
        {
            ["input"] = new([2, 19, 400], Fixtures.Synthetic(2 * 19, 400)),
        });

        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder.Path;
        var ran = new List<string>();
        try
        {
            foreach (var line in Lines().Where(l => Cheap.Contains(l.Args[0])).DistinctBy(l => l.Text))
            {
                var files = line.Args.Skip(1).Where(a => !a.StartsWith('-') && a.Contains('.')).Select(a => a.Contains('=') ? a[(a.IndexOf('=') + 1)..] : a);
                var inputs = files.Where(f => f.EndsWith(".edf", StringComparison.Ordinal) || f.EndsWith(".pt", StringComparison.Ordinal) || f == "model.safetensors" || f == "in.safetensors");
                if (!inputs.Any() || !inputs.All(File.Exists)) continue; // it names a file this folder does not stand in for
                var result = CliHarness.Run(line.Args);
                Assert.AreEqual(ExitCodes.Ok, result.ExitCode, $"{line.File}: eegdino {line.Text}\n{result.Error}");
                ran.Add(line.Text);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        foreach (string name in new[] { "info", "preprocess", "encode" })
            Assert.IsTrue(ran.Any(r => r.StartsWith(name, StringComparison.Ordinal)), $"no documented {name} line ran; ran: {string.Join("; ", ran)}");
        Assert.IsTrue(File.Exists(folder.File("signal.safetensors")) && File.Exists(folder.File("out.safetensors")));
    }
}
