using System.Globalization;
using EegDino.ML.Corpus;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.Eeg;

/// <summary>
/// A streaming <see cref="IDataView"/> of windows over recordings: a cursor holds one open file and
/// one window at a time, so memory does not grow with the number of files. The schema (channel
/// count, samples per window) is fixed from the first recording; a later recording that differs is
/// an <see cref="EegMontageException"/> naming it.
/// </summary>
internal sealed class EegRecordingDataView : IDataView
{
    private readonly IReadOnlyList<EegRecordingSource> _sources;
    private readonly EegLoaderOptions _options;
    private readonly RecordingWindows _recordings;
    private readonly int _channels, _samples;
    private readonly double _rate;

    internal EegRecordingDataView(IReadOnlyList<EegRecordingSource> sources, EegLoaderOptions options)
    {
        if (sources.Count == 0) throw new ArgumentException("No recordings were given.", nameof(sources));
        _sources = sources;
        _options = options;
        _recordings = new RecordingWindows(options.Montage, options.Windows, options.Filters);
        (_channels, _samples, _rate, _) = _recordings.ShapeOf(sources[0].Path);
        _recordings.CheckFilters(sources[0].Path); // bad filter options fail here, not at the first row
        var b = new DataViewSchema.Builder();
        b.AddColumn(EegDataColumns.Recording, TextDataViewType.Instance);
        b.AddColumn(EegDataColumns.StartSeconds, NumberDataViewType.Double);
        b.AddColumn(EegDataColumns.Label, TextDataViewType.Instance);
        b.AddColumn(EegDataColumns.Signal, new VectorDataViewType(NumberDataViewType.Single, _channels, _samples));
        b.AddColumn(EegDataColumns.CrossesGap, BooleanDataViewType.Instance);
        b.AddColumn(EegDataColumns.HasFlatChannel, BooleanDataViewType.Instance);
        b.AddColumn(EegDataColumns.HasSaturatedChannel, BooleanDataViewType.Instance);
        Schema = b.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    /// <summary>
    /// Every recording's windows in order. A read that reaches the end without a single window because
    /// every recording is shorter than one window is an error, not an empty view (a trainer would
    /// otherwise report a misleading count of rows or labels).
    /// </summary>
    private IEnumerable<LabelledWindow> Windows()
    {
        long count = 0;
        double longest = 0;
        string? longestName = null;
        foreach (EegRecordingSource source in _sources)
        {
            IEnumerator<LabelledWindow> windows;
            try
            {
                var (channels, samples, rate, duration) = _recordings.ShapeOf(source.Path);
                if (duration >= longest) (longest, longestName) = (duration, source.Name);
                if (channels != _channels || samples != _samples)
                    throw new EegMontageException(
                        $"{source.Path} gives windows of {channels} channels x {samples} samples ({rate} Hz); the data view's Signal column, fixed by {_sources[0].Path}, is {_channels} x {_samples} ({_rate} Hz). Set EegWindowOptions.TargetSamplesPerSecond or load the recordings separately.");
                windows = _recordings.Read(source).GetEnumerator();
            }
            catch (Exception e) when (Skippable(e))
            {
                _options.RecordingSkipped?.Invoke(source.Path, e);
                continue;
            }

            using (windows)
            {
                while (true)
                {
                    try
                    {
                        if (!windows.MoveNext()) break;
                    }
                    catch (Exception e) when (Skippable(e))
                    {
                        _options.RecordingSkipped?.Invoke(source.Path, e);
                        break;
                    }
                    LabelledWindow w = windows.Current;
                    count++;
                    if (_options.SkipFlaggedWindows && w.Window.IsFlagged) continue;
                    yield return w;
                }
            }
        }
        if (count == 0 && longestName is not null && longest < _options.Windows.WindowSeconds)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"No window fits: every recording is shorter than one {_options.Windows.WindowSeconds:R}-s window (the longest, {longestName}, is {longest:0.###} s). Choose a shorter EegWindowOptions.WindowSeconds."));
        }
    }

    private bool Skippable(Exception e) =>
        _options.SkipUnreadableRecordings && e is EegDinoException or IOException or UnauthorizedAccessException;

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly EegRecordingDataView _parent;
        private readonly bool[] _active;
        private readonly IEnumerator<LabelledWindow> _windows;
        private LabelledWindow _current;
        private long _position = -1;
        private bool _done;

        internal Cursor(EegRecordingDataView parent, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _parent = parent;
            _active = new bool[parent.Schema.Count];
            foreach (DataViewSchema.Column c in columnsNeeded) _active[c.Index] = true;
            _windows = parent.Windows().GetEnumerator();
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_done) return false;
            if (_windows.MoveNext())
            {
                _current = _windows.Current;
                _position++;
                return true;
            }
            _done = true;
            _windows.Dispose();
            return false;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index])
                throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor; request it in columnsNeeded.");
            Delegate getter = column.Name switch
            {
                EegDataColumns.Recording => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = CurrentRow.Recording.AsMemory()),
                EegDataColumns.StartSeconds => (ValueGetter<double>)((ref double v) => v = Current.StartSeconds),
                EegDataColumns.Label => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = CurrentRow.Label.AsMemory()),
                EegDataColumns.Signal => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
                {
                    float[] s = Current.Signal;
                    var editor = VBufferEditor.Create(ref v, s.Length);
                    s.CopyTo(editor.Values);
                    v = editor.Commit();
                }),
                EegDataColumns.CrossesGap => (ValueGetter<bool>)((ref bool v) => v = Current.CrossesGap),
                EegDataColumns.HasFlatChannel => (ValueGetter<bool>)((ref bool v) => v = Current.FlatChannels.Count > 0),
                EegDataColumns.HasSaturatedChannel => (ValueGetter<bool>)((ref bool v) => v = Current.SaturatedChannels.Count > 0),
                _ => throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' is not in this data view."),
            };
            return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
                $"Column '{column.Name}' has type {column.Type}; a getter of {typeof(TValue).Name} was requested.");
        }

        private LabelledWindow CurrentRow => _position >= 0 && !_done
            ? _current
            : throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");

        private EegWindow Current => CurrentRow.Window;

        protected override void Dispose(bool disposing)
        {
            if (disposing) _windows.Dispose();
            base.Dispose(disposing);
        }
    }
}
