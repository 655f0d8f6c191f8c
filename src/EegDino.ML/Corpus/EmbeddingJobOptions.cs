using EegDino.ML.Eeg;

namespace EegDino.ML.Corpus;

/// <summary>Options of <see cref="EegEmbeddingJob"/>. Every setting that changes the rows is part of the run's settings fingerprint.</summary>
public sealed class EmbeddingJobOptions
{
    /// <summary>Window placement and output rate (default: 10 s windows, 10 s stride, 200 Hz).</summary>
    public EegWindowOptions Windows { get; init; } = new();

    /// <summary>Montage options (default: all 19 electrodes required).</summary>
    public MontageOptions Montage { get; init; } = new();

    /// <summary>Re-referencing and filters at each file's own rate, before resampling (default none).</summary>
    public EegFilterOptions Filters { get; init; } = EegFilterOptions.None;

    /// <summary>Windows per forward pass (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Which summary of the encoder output is written: <see cref="EegDinoEmbeddingKind.PooledMean"/> (default) or <see cref="EegDinoEmbeddingKind.GlobalToken"/>.</summary>
    public EegDinoEmbeddingKind Embedding { get; init; } = EegDinoEmbeddingKind.PooledMean;

    /// <summary>Batches of windows read ahead of the encoder (bounded: memory stays flat; default 4).</summary>
    public int ReadAheadBatches { get; init; } = 4;

    /// <summary>Keep the part files after a complete run without failures (default: delete them).</summary>
    public bool KeepParts { get; init; }

    /// <summary>
    /// Identifies the model (e.g. full path, size and time stamp of the weights, and the input
    /// scale). Part of the settings a resumed run must share with the interrupted one.
    /// </summary>
    public string ModelIdentity { get; init; } = "";

    /// <summary>
    /// This process's share of the corpus, or null (default) for all of it. With a shard,
    /// <see cref="EegEmbeddingJob.Run"/> takes the whole list and embeds only the shard's recordings
    /// (<see cref="EmbeddingShard.Select"/>); the shard count is part of the settings fingerprint, so
    /// parts of differently split runs cannot be mixed in one dataset.
    /// </summary>
    public EmbeddingShard? Shard { get; init; }

    /// <summary>Checks the options, naming the one out of range.</summary>
    internal void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize is {BatchSize}; at least 1 was expected.");
        if (ReadAheadBatches < 1) throw new ArgumentOutOfRangeException(nameof(ReadAheadBatches), ReadAheadBatches, $"ReadAheadBatches is {ReadAheadBatches}; at least 1 was expected.");
        if (Embedding is not (EegDinoEmbeddingKind.PooledMean or EegDinoEmbeddingKind.GlobalToken))
            throw new ArgumentOutOfRangeException(nameof(Embedding), Embedding, $"Embedding is {Embedding}; a table row holds one vector: PooledMean or GlobalToken.");
        _ = new EegWindower(Windows); // validates the window options now rather than per file
        ArgumentNullException.ThrowIfNull(Filters);
        Filters.Validate();
    }
}

/// <summary>What happened to one recording in a run.</summary>
/// <param name="Input">The recording.</param>
/// <param name="Status">Embedded in this run, resumed from an earlier run, or failed.</param>
/// <param name="Windows">Rows written (0 when failed).</param>
/// <param name="Error">The error message when failed.</param>
public sealed record RecordingOutcome(EegRecordingSource Input, RecordingStatus Status, int Windows, string? Error);

/// <summary>Outcome of one recording.</summary>
public enum RecordingStatus
{
    /// <summary>Embedded in this run.</summary>
    Embedded,

    /// <summary>Finished by an earlier run (its part file was reused).</summary>
    Resumed,

    /// <summary>Could not be read or embedded, or is shorter than one window; skipped.</summary>
    Failed,
}

/// <summary>Summary of a run of <see cref="EegEmbeddingJob"/>.</summary>
public sealed class EmbeddingJobResult
{
    /// <summary>Every recording's outcome, in input order (recordings not reached before a cancellation are absent).</summary>
    public required IReadOnlyList<RecordingOutcome> Recordings { get; init; }

    /// <summary>Windows encoded in this run (resumed recordings not counted).</summary>
    public long WindowsEncoded { get; init; }

    /// <summary>Rows in the output file (0 if it was not assembled).</summary>
    public long RowsWritten { get; init; }

    /// <summary>Seconds of EEG encoded in this run: windows x window length.</summary>
    public double EegSecondsEncoded { get; init; }

    /// <summary>Wall time of the run, assembly included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>True if the output file was written (the run was not cancelled).</summary>
    public bool Assembled { get; init; }

    /// <summary>True if an earlier run had already completed the same inputs and output: nothing was done.</summary>
    public bool AlreadyComplete { get; init; }

    /// <summary>The failed recordings.</summary>
    public IEnumerable<RecordingOutcome> Failures => Recordings.Where(r => r.Status == RecordingStatus.Failed);
}
