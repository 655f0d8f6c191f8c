using System.IO.Compression;

namespace EegDino.ML.Weights.Torch;

/// <summary>A tensor of the checkpoint that was not converted to a <see cref="WeightTensor"/>.</summary>
/// <param name="Key">Flattened key, e.g. <c>module.student.encoder_layers.0.attn.relative_position_index</c>.</param>
/// <param name="DType">Storage dtype (I64, F32...).</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Reason">Why it was not read.</param>
internal sealed record TorchTensorInfo(string Key, string DType, long[] Shape, string Reason)
{
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>What <see cref="TorchCheckpointReader"/> found in a <c>torch.save</c> file.</summary>
internal sealed class TorchCheckpoint
{
    /// <summary>The archive's top folder name inside the zip (e.g. <c>archive</c>, <c>tiny.checkpoint</c>).</summary>
    public required string ArchiveName { get; init; }

    /// <summary>
    /// Where the weights were found: <c>state_dict</c>, <c>model</c>, <c>model_state_dict</c> or
    /// empty for a file that is itself a state_dict.
    /// </summary>
    public required string StateDictPath { get; init; }

    /// <summary>Float tensors of the state_dict by flattened key (nested dict keys joined with '.'), in file order.</summary>
    public required OrderedDictionary<string, WeightTensor> Tensors { get; init; }

    /// <summary>State_dict tensors not read because they are not float tensors.</summary>
    public required IReadOnlyList<TorchTensorInfo> NotLoaded { get; init; }

    /// <summary>State_dict tensors not read because the caller's selection set them aside (its reason).</summary>
    public required IReadOnlyList<TorchTensorInfo> SetAside { get; init; }

    /// <summary>One line per non-tensor entry (<c>epoch = 7</c>, <c>optimizer: dict ...</c>).</summary>
    public required IReadOnlyList<string> OtherEntries { get; init; }
}

/// <summary>
/// Reads <c>torch.save</c> zip checkpoints (PyTorch 1.6 and later) without running anything from
/// the file: <c>&lt;archive&gt;/data.pkl</c> goes through <see cref="SafeUnpickler"/>, tensors are
/// rebuilt from <c>&lt;archive&gt;/data/&lt;key&gt;</c> storages (float32, float16, bfloat16,
/// float64 converted to float32; offset and strides honoured), little-endian only. Sizes declared
/// by the pickle and by the zip directory are checked against each other and against the file
/// length before any buffer is allocated. Every failure is an <see cref="EegDinoModelFormatException"/>
/// naming the file.
/// </summary>
internal static class TorchCheckpointReader
{
    /// <summary>Largest <c>data.pkl</c> accepted (the pickle holds names and shapes only).</summary>
    public const long MaxPickleBytes = 256L << 20;

    /// <summary>Most zip entries accepted.</summary>
    public const int MaxEntries = 1 << 20;

    /// <summary>Deepest nesting of dicts inside the state_dict.</summary>
    public const int MaxNesting = 64;

    /// <summary>
    /// Most entries of the state_dict once flattened (the released checkpoints have under a
    /// thousand). Shared sub-dicts could otherwise multiply a small pickle exponentially.
    /// </summary>
    public const int MaxStateDictEntries = 1 << 16;

    /// <summary>Longest flattened state_dict key (real ones are under 200 characters).</summary>
    public const int MaxKeyLength = 4096;

    /// <summary>Most values visited by all the summaries of non-weight entries of one file together.</summary>
    public const long MaxSummaryVisits = 4_000_000;

    // Beyond deflate's best ratio (~1032:1) a declared size is a lie.
    private const long MaxCompressionRatio = 1100;

    /// <summary>Reads a checkpoint file.</summary>
    /// <param name="path">The <c>.pt</c>/<c>.pth</c> file.</param>
    /// <param name="setAside">Given every flattened state_dict tensor key, says for each key why it
    /// is not to be read (null: read it). Those are listed in <see cref="TorchCheckpoint.SetAside"/>
    /// and their storages never read. Null reads all.</param>
    public static TorchCheckpoint Read(string path, Func<IReadOnlyList<string>, Func<string, string?>>? setAside = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path, setAside);
    }

    /// <summary>Reads a checkpoint from a seekable stream.</summary>
    /// <param name="stream">The zip bytes; must be seekable.</param>
    /// <param name="displayName">File name for messages.</param>
    /// <param name="setAside">As for <see cref="Read(string, Func{IReadOnlyList{string}, Func{string, string}})"/>.</param>
    public static TorchCheckpoint Read(Stream stream, string displayName, Func<IReadOnlyList<string>, Func<string, string?>>? setAside = null)
    {
        try
        {
            return ReadCore(stream, displayName, setAside ?? (_ => _ => null));
        }
        catch (EegDinoModelFormatException e) when (!e.Message.StartsWith(displayName, StringComparison.Ordinal))
        {
            throw new EegDinoModelFormatException($"{displayName}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new EegDinoModelFormatException($"{displayName}: not a readable torch.save zip archive ({e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new EegDinoModelFormatException($"{displayName}: the file is truncated ({e.Message}).", e);
        }
        catch (IOException e)
        {
            // The zip reader reports some corrupt headers as plain IOExceptions.
            throw new EegDinoModelFormatException($"{displayName}: the archive cannot be read ({e.Message}).", e);
        }
    }

    private static TorchCheckpoint ReadCore(Stream stream, string displayName, Func<IReadOnlyList<string>, Func<string, string?>> setAside)
    {
        if (!stream.CanSeek) throw new ArgumentException("The checkpoint stream must be seekable.", nameof(stream));
        long fileLength = stream.Length;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        if (zip.Entries.Count > MaxEntries) throw new EegDinoModelFormatException($"{zip.Entries.Count} zip entries (at most {MaxEntries}).");

        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        long compressedTotal = 0;
        foreach (var e in zip.Entries)
        {
            if (!entries.TryAdd(e.FullName, e)) throw new EegDinoModelFormatException($"the zip holds '{e.FullName}' twice.");
            compressedTotal += e.CompressedLength;
        }
        // In a well-formed zip the records' data are disjoint parts of the file. Records that
        // overlap (many directory entries pointing at the same bytes) would multiply what is read.
        if (compressedTotal > fileLength)
            throw new EegDinoModelFormatException($"the zip's records declare {compressedTotal} bytes of data in a file of {fileLength}: they overlap.");

        // torch.save writes "<archive>/data.pkl" with one top folder whose name is free.
        var pickles = entries.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - "/data.pkl".Length).ToList();
        if (pickles.Count != 1)
        {
            bool script = entries.Keys.Any(n => n.EndsWith("/constants.pkl", StringComparison.Ordinal));
            throw new EegDinoModelFormatException(script
                ? "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; save the state_dict with torch.save."
                : $"a torch.save archive has exactly one '<archive>/data.pkl'; found {pickles.Count}.");
        }
        string prefix = pickles[0][..^"data.pkl".Length];

        if (entries.TryGetValue(prefix + "byteorder", out var byteOrderEntry))
        {
            string order = System.Text.Encoding.ASCII.GetString(ReadEntry(byteOrderEntry, fileLength, 16)).Trim();
            if (order != "little") throw new EegDinoModelFormatException($"byteorder is '{order}'; only little-endian checkpoints are supported.");
        }
        // No byteorder record (PyTorch before 2.1): written on a little-endian machine in practice.

        byte[] pickle = ReadEntry(entries[pickles[0]], fileLength, MaxPickleBytes);
        var storages = new Dictionary<string, TorchStorageRef>(StringComparer.Ordinal);
        object? root = SafeUnpickler.Load(pickle, pid => LoadPersistent(pid, storages));

        var other = new List<string>();
        var budget = new WalkBudget();
        var (stateDict, stateDictPath) = FindStateDict(root, other, budget);
        var found = new List<KeyValuePair<string, TorchTensorRef>>();
        Flatten(stateDict, stateDictPath.Length == 0 ? "" : stateDictPath, "", 0, found, other, new HashSet<object>(ReferenceEqualityComparer.Instance), budget);

        Func<string, string?> reasonNotToRead = setAside(found.Select(f => f.Key).ToList());
        var tensors = new OrderedDictionary<string, WeightTensor>(StringComparer.Ordinal);
        var notLoaded = new List<TorchTensorInfo>();
        var setAsideList = new List<TorchTensorInfo>();
        var cache = new Dictionary<string, float[]>(StringComparer.Ordinal);
        long storageElements = 0, tensorElements = 0;
        foreach (var (key, t) in found)
        {
            if (!t.Storage.Type.IsFloat)
            {
                notLoaded.Add(new(key, t.Storage.Type.DType, t.Shape, "not a float tensor"));
                continue;
            }
            if (reasonNotToRead(key) is string reason)
            {
                setAsideList.Add(new(key, t.Storage.Type.DType, t.Shape, reason));
                continue;
            }
            if (tensors.ContainsKey(key)) throw new EegDinoModelFormatException($"the state_dict key '{key}' occurs twice after flattening.");
            if (!cache.TryGetValue(t.Storage.Key, out float[]? storage))
            {
                storage = ReadStorage(entries, prefix, t.Storage, fileLength);
                cache[t.Storage.Key] = storage;
                storageElements += storage.Length;
            }
            // Views may share a storage; they may not multiply it (stride 0 over a huge size).
            tensorElements += t.ElementCount;
            if (tensorElements > 2 * storageElements + (1 << 20))
                throw new EegDinoModelFormatException($"the tensors viewed from the storages ({tensorElements} elements so far, at '{key}') exceed twice the stored data ({storageElements} elements).");
            tensors[key] = new WeightTensor(t.Shape, View(storage, t), t.Storage.Type.DType);
        }

        return new TorchCheckpoint
        {
            ArchiveName = prefix.TrimEnd('/'),
            StateDictPath = stateDictPath,
            Tensors = tensors,
            NotLoaded = notLoaded,
            SetAside = setAsideList,
            OtherEntries = other,
        };
    }

    private static object LoadPersistent(object? pid, Dictionary<string, TorchStorageRef> storages)
    {
        if (pid is not PickleTuple { Items: [string kind, ..] } tuple || kind != "storage")
            throw new EegDinoModelFormatException($"persistent id {PickleValue.Describe(pid)} is not ('storage', type, key, location, numel).");
        if (tuple.Items is not [_, PickleGlobal type, string key, string location, long numel] || numel < 0)
            throw new EegDinoModelFormatException($"persistent id ({string.Join(", ", tuple.Items.Select(PickleValue.Describe))}) is not ('storage', type, key, location, numel).");
        var storageType = TorchStorageType.FromGlobal(type);
        if (storages.TryGetValue(key, out var known))
        {
            if (known.Type.DType != storageType.DType || known.ElementCount != numel)
                throw new EegDinoModelFormatException($"storage '{key}' is declared twice with different types or sizes ({known.Type.DType} x {known.ElementCount}, {storageType.DType} x {numel}).");
            return known;
        }
        var storage = new TorchStorageRef(storageType, key, location, numel);
        storages[key] = storage;
        return storage;
    }

    private static (PickleDict StateDict, string Path) FindStateDict(object? root, List<string> other, WalkBudget budget)
    {
        if (root is not PickleDict top)
            throw new EegDinoModelFormatException($"the checkpoint holds {PickleValue.Describe(root)}; a dict (a state_dict or a training checkpoint) was expected.");
        foreach (string name in (string[])["state_dict", "model_state_dict", "model"])
        {
            if (top.TryGet(name, out object? candidate) && candidate is PickleDict dict)
            {
                foreach (var kv in top.Items)
                {
                    if (kv.Key is string k && k == name) continue;
                    other.Add(Summarize(Shorten(KeyText(kv.Key)), kv.Value, budget));
                }
                return (dict, name);
            }
        }
        return (top, "");
    }

    // Walks nested dicts: tensors are collected by dotted key, anything else is summarised.
    private static void Flatten(PickleDict dict, string where, string prefix, int depth, List<KeyValuePair<string, TorchTensorRef>> found, List<string> other, HashSet<object> onPath, WalkBudget budget)
    {
        if (depth > MaxNesting) throw new EegDinoModelFormatException($"the state_dict nests deeper than {MaxNesting} dicts at '{prefix}'.");
        if (!onPath.Add(dict)) throw new EegDinoModelFormatException($"the state_dict contains itself at '{prefix}'.");
        foreach (var kv in dict.Items)
        {
            if (++budget.StateDictEntries > MaxStateDictEntries)
                throw new EegDinoModelFormatException($"the state_dict has more than {MaxStateDictEntries} entries once flattened (at '{Shorten(prefix)}'; shared sub-dicts?).");
            string keyText = KeyText(kv.Key);
            // Checked before concatenating: a long key referenced from many places would multiply.
            if (prefix.Length + keyText.Length > MaxKeyLength)
                throw new EegDinoModelFormatException($"the state_dict key '{Shorten(prefix + keyText[..Math.Min(keyText.Length, 100)])}' is longer than {MaxKeyLength} characters.");
            string key = prefix + keyText;
            switch (kv.Value)
            {
                case TorchTensorRef t:
                    found.Add(new(key, t));
                    break;
                case PickleDict inner:
                    Flatten(inner, where, key + ".", depth + 1, found, other, onPath, budget);
                    break;
                default:
                    other.Add(Summarize((where.Length > 0 ? where + "." : "") + key, kv.Value, budget));
                    break;
            }
        }
        onPath.Remove(dict);
    }

    private static string Shorten(string key) => key.Length <= 200 ? key : key[..100] + "..." + key[^100..];

    private static string KeyText(object? key) => key switch
    {
        string s => s,
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => PickleValue.Describe(key),
    };

    /// <summary>What the walks over one file may still do.</summary>
    private sealed class WalkBudget
    {
        public int StateDictEntries;
        public long SummaryVisitsLeft = MaxSummaryVisits;
    }

    /// <summary>One line describing a non-weight value, walking at most 100,000 nodes and what is left of the file's budget.</summary>
    private static string Summarize(string name, object? value, WalkBudget budget)
    {
        switch (value)
        {
            case null or bool or long or System.Numerics.BigInteger or double or string:
                return $"{name} = {PickleValue.Describe(value)}";
            default:
                var counter = new SummaryCounter(budget);
                counter.Visit(value, 0);
                string tensors = counter.Tensors > 0 ? $", {counter.Tensors} tensors ({counter.TensorElements} values) not loaded" : "";
                string classes = counter.Classes.Count > 0 ? ", objects of " + string.Join(", ", counter.Classes.Order(StringComparer.Ordinal)) : "";
                string more = counter.Truncated ? ", not fully walked" : "";
                return $"{name}: {PickleValue.Describe(value)}{tensors}{classes}{more}";
        }
    }

    private sealed class SummaryCounter(WalkBudget budget)
    {
        private const int Budget = 100_000;
        private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);
        public int Tensors;
        public long TensorElements;
        public readonly HashSet<string> Classes = new(StringComparer.Ordinal);
        public bool Truncated;

        public void Visit(object? value, int depth)
        {
            // Every visit counts against the file's budget, also of plain values and of values
            // already seen: a small pickle can reference one big list from many places.
            if (Truncated || --budget.SummaryVisitsLeft < 0) { Truncated = true; return; }
            if (value is null || value is string || value.GetType().IsValueType) return;
            if (depth > MaxNesting || _seen.Count >= Budget) { Truncated = true; return; }
            if (!_seen.Add(value)) return;
            switch (value)
            {
                case TorchTensorRef t:
                    Tensors++;
                    TensorElements += t.ElementCount;
                    break;
                case PickleDict d:
                    foreach (var kv in d.Items) { Visit(kv.Key, depth + 1); Visit(kv.Value, depth + 1); if (Truncated) return; }
                    break;
                case PickleList l:
                    VisitAll(l.Items, depth);
                    break;
                case PickleTuple t:
                    VisitAll(t.Items, depth);
                    break;
                case PickleSet s:
                    VisitAll(s.Items, depth);
                    break;
                case PicklePlaceholder p:
                    Classes.Add(p.ClassName);
                    VisitAll(p.Arguments, depth);
                    VisitAll(p.States, depth);
                    break;
            }
        }

        private void VisitAll(IEnumerable<object?> items, int depth)
        {
            foreach (var v in items)
            {
                Visit(v, depth + 1);
                if (Truncated) return;
            }
        }
    }

    private static float[] ReadStorage(Dictionary<string, ZipArchiveEntry> entries, string prefix, TorchStorageRef storage, long fileLength)
    {
        string name = prefix + "data/" + storage.Key;
        if (!entries.TryGetValue(name, out var entry)) throw new EegDinoModelFormatException($"storage '{storage.Key}' has no record '{name}' in the archive.");
        long bytes;
        try
        {
            bytes = checked(storage.ElementCount * storage.Type.ElementSize);
        }
        catch (OverflowException)
        {
            throw new EegDinoModelFormatException($"storage '{storage.Key}' declares {storage.ElementCount} elements, which overflows.");
        }
        if (entry.Length != bytes)
            throw new EegDinoModelFormatException($"storage '{storage.Key}' declares {storage.ElementCount} {storage.Type.DType} elements ({bytes} bytes) but its record '{name}' holds {entry.Length} bytes.");
        if (storage.ElementCount > Array.MaxLength)
            throw new EegDinoModelFormatException($"storage '{storage.Key}' has {storage.ElementCount} elements; at most {Array.MaxLength} are supported.");
        byte[] raw = ReadEntry(entry, fileLength, Array.MaxLength);
        return DTypeDecoder.ToFloat32(raw, storage.Type.DType);
    }

    /// <summary>Reads one zip entry after checking its declared sizes against the file.</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long fileLength, long maxLength)
    {
        long length = entry.Length;
        if (length < 0 || length > maxLength) throw new EegDinoModelFormatException($"record '{entry.FullName}' declares {length} bytes (at most {maxLength}).");
        if (entry.CompressedLength > fileLength) throw new EegDinoModelFormatException($"record '{entry.FullName}' declares {entry.CompressedLength} compressed bytes in a file of {fileLength}.");
        if (length > (entry.CompressedLength + 1) * MaxCompressionRatio) throw new EegDinoModelFormatException($"record '{entry.FullName}' declares {length} bytes from {entry.CompressedLength} compressed bytes, beyond what deflate can produce.");

        using var input = entry.Open();
        if (entry.CompressedLength == length)
        {
            // Stored (torch.save never compresses): the size is bounded by the file itself.
            var buffer = new byte[length];
            input.ReadExactly(buffer);
            return buffer;
        }

        // Compressed: let the buffer grow only as real bytes arrive.
        using var collected = new MemoryStream();
        var chunk = new byte[1 << 16];
        while (true)
        {
            int n = input.Read(chunk, 0, (int)Math.Min(chunk.Length, length + 1 - collected.Length));
            if (n == 0) break;
            collected.Write(chunk, 0, n);
            if (collected.Length > length) throw new EegDinoModelFormatException($"record '{entry.FullName}' holds more than the {length} bytes it declares.");
        }
        if (collected.Length != length) throw new EegDinoModelFormatException($"record '{entry.FullName}' holds {collected.Length} bytes; it declares {length}.");
        return collected.ToArray();
    }

    /// <summary>The tensor's elements in row-major order (bounds were checked when it was rebuilt).</summary>
    private static float[] View(float[] storage, TorchTensorRef t)
    {
        long count = t.ElementCount;
        if (count > Array.MaxLength) throw new EegDinoModelFormatException($"a tensor of {count} elements is larger than supported.");
        if (count == storage.Length && t.Offset == 0 && IsContiguous(t)) return storage;
        var result = new float[count];
        if (count == 0) return result;
        if (IsContiguous(t))
        {
            Array.Copy(storage, t.Offset, result, 0, count);
            return result;
        }
        int rank = t.Shape.Length;
        var index = new long[rank];
        long source = t.Offset;
        for (long i = 0; i < count; i++)
        {
            result[i] = storage[source];
            // Odometer over the dimensions, innermost fastest.
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                source += t.Stride[d];
                if (index[d] < t.Shape[d]) break;
                source -= t.Stride[d] * t.Shape[d];
                index[d] = 0;
            }
        }
        return result;
    }

    private static bool IsContiguous(TorchTensorRef t)
    {
        long expected = 1;
        for (int d = t.Shape.Length - 1; d >= 0; d--)
        {
            if (t.Shape[d] != 1 && t.Stride[d] != expected) return false;
            expected *= t.Shape[d];
        }
        return true;
    }
}
