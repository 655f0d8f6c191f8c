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
    private readonly MontageMapper _mapper;
    private readonly EegWindower _windower;
    private readonly int _channels, _samples;
    private readonly double _rate;

    internal EegRecordingDataView(IReadOnlyList<EegRecordingSource> sources, EegLoaderOptions options)
    {
        if (sources.Count == 0) throw new ArgumentException("No recordings were given.", nameof(sources));
        _sources = sources;
        _options = options;
        _mapper = new MontageMapper(options.Montage);
        _windower = new EegWindower(options.Windows);
        using (EdfReader reader = EdfReader.Open(sources[0].Path))
        {
            MontageMapping mapping = _mapper.Map(reader.Signals);
            _channels = mapping.Channels.Count;
            _rate = _windower.OutputSamplesPerSecond(reader.Signals[mapping.SourceIndexes[0]].SamplesPerSecond);
            _samples = _windower.SamplesPerWindow(_rate);
        }
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

    private IEnumerable<(EegWindow Window, string? RecordingLabel)> Windows()
    {
        foreach (EegRecordingSource source in _sources)
        {
            EdfReader? reader = null;
            IEnumerator<EegWindow> windows;
            try
            {
                reader = EdfReader.Open(source.Path);
                MontageMapping mapping = _mapper.Map(reader.Signals);
                double rate = _windower.OutputSamplesPerSecond(reader.Signals[mapping.SourceIndexes[0]].SamplesPerSecond);
                if (mapping.Channels.Count != _channels || _windower.SamplesPerWindow(rate) != _samples)
                    throw new EegMontageException(
                        $"{source.Path} gives windows of {mapping.Channels.Count} channels x {_windower.SamplesPerWindow(rate)} samples ({rate} Hz); the data view's Signal column, fixed by {_sources[0].Path}, is {_channels} x {_samples} ({_rate} Hz). Set EegWindowOptions.TargetSamplesPerSecond or load the recordings separately.");
                windows = _windower.GetWindows(reader, mapping).GetEnumerator();
            }
            catch (Exception e) when (Skippable(e))
            {
                reader?.Dispose();
                _options.RecordingSkipped?.Invoke(source.Path, e);
                continue;
            }

            using (reader)
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
                    EegWindow w = windows.Current;
                    if (_options.SkipFlaggedWindows && w.IsFlagged) continue;
                    yield return (w, source.Label);
                }
            }
        }
    }

    /// <summary>Errors of one recording that <see cref="EegLoaderOptions.SkipUnreadableRecordings"/> turns into a skip.</summary>
    private bool Skippable(Exception e) =>
        _options.SkipUnreadableRecordings && e is EegDinoException or IOException or UnauthorizedAccessException;

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly EegRecordingDataView _parent;
        private readonly bool[] _active;
        private readonly IEnumerator<(EegWindow Window, string? RecordingLabel)> _windows;
        private (EegWindow Window, string? RecordingLabel) _current;
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
                EegDataColumns.Recording => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = Current.Recording.AsMemory()),
                EegDataColumns.StartSeconds => (ValueGetter<double>)((ref double v) => v = Current.StartSeconds),
                EegDataColumns.Label => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) =>
                    v = (Current.Label ?? _current.RecordingLabel ?? "").AsMemory()),
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

        private EegWindow Current => _position >= 0 && !_done
            ? _current.Window
            : throw new InvalidOperationException("The cursor is not on a row; call MoveNext first.");

        protected override void Dispose(bool disposing)
        {
            if (disposing) _windows.Dispose();
            base.Dispose(disposing);
        }
    }
}
