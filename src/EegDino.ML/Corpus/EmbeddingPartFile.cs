using System.Text;

namespace EegDino.ML.Corpus;

/// <summary>
/// The per-recording part file of <see cref="EegEmbeddingJob"/> (binary, little-endian): magic
/// <c>EGDP</c>, format version, embedding width, row count, then the rows. Written to a temporary
/// name and renamed, so a part file that exists is complete.
/// </summary>
internal static class EmbeddingPartFile
{
    private const int Magic = 0x50444745; // "EGDP"
    private const int Version = 1;

    /// <summary>Writes <paramref name="rows"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, int embeddingDim, IReadOnlyList<EmbeddingRow> rows)
    {
        string tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        using (var w = new BinaryWriter(stream, Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(embeddingDim);
            w.Write(rows.Count);
            foreach (EmbeddingRow r in rows)
            {
                w.Write(r.Recording);
                w.Write(r.StartSeconds);
                w.Write(r.Label);
                w.Write(r.CrossesGap);
                w.Write(r.FlatChannels);
                w.Write(r.SaturatedChannels);
                foreach (float v in r.Embedding) w.Write(v);
            }
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a part file.</summary>
    /// <exception cref="InvalidDataException">The file is not a part file of this version or is truncated.</exception>
    public static (int EmbeddingDim, List<EmbeddingRow> Rows) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (r.ReadInt32() != Magic) throw new InvalidDataException($"{path} is not an embedding part file (bad magic).");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path} has part format version {version}; {Version} was expected.");
            int dim = r.ReadInt32(), count = r.ReadInt32();
            var rows = new List<EmbeddingRow>(count);
            for (int i = 0; i < count; i++)
            {
                string recording = r.ReadString();
                double start = r.ReadDouble();
                string label = r.ReadString();
                bool gap = r.ReadBoolean();
                string flat = r.ReadString(), saturated = r.ReadString();
                var e = new float[dim];
                for (int j = 0; j < dim; j++) e[j] = r.ReadSingle();
                rows.Add(new EmbeddingRow(recording, start, label, gap, flat, saturated, e));
            }
            return (dim, rows);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path} is truncated.");
        }
    }
}
