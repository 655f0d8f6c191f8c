using EegDino.ML.Corpus;
using EegDino.ML.Eeg;
using Microsoft.ML;

namespace EegDino.ML;

// The class summary is in EegDinoCatalog.cs.
public static partial class EegDinoCatalog
{
    /// <summary>
    /// Loads EDF/EDF+/BDF/BDF+ recordings as a streaming <see cref="IDataView"/> of model inputs:
    /// each recording is mapped to the 19 channels of <see cref="MontageMapper.DefaultChannelOrder"/>,
    /// converted to microvolts, resampled to 200 Hz and cut into windows.
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="paths">Files, or folders searched recursively for <c>*.edf</c> and <c>*.bdf</c> (in ordinal order of their
    /// path relative to the folder, which is also their name in the <c>Recording</c> column).</param>
    /// <param name="windowSeconds">Window length in seconds (10 s = 10 patches).</param>
    /// <param name="strideSeconds">Step between window starts in seconds; null for <paramref name="windowSeconds"/> (adjacent windows).</param>
    /// <param name="useOnlyPresentChannels">False: a recording lacking one of the 19 electrodes is an
    /// error. True: use the electrodes present (every recording must then give the same count).</param>
    /// <returns>
    /// A data view with columns <c>Recording</c> (text), <c>StartSeconds</c> (double), <c>Label</c>
    /// (text, empty here), <c>Signal</c> (vector of single, known size channels x samples, channel-major,
    /// microvolts), <c>CrossesGap</c>, <c>HasFlatChannel</c>, <c>HasSaturatedChannel</c> (boolean).
    /// See <see cref="EegDataColumns"/>.
    /// </returns>
    /// <remarks>
    /// <list type="table">
    /// <listheader><term>Characteristic</term><description>Value</description></listheader>
    /// <item><term>Streaming</term><description>Yes: one open file and one window per cursor.</description></item>
    /// <item><term>Shuffling, row count</term><description>No (append a cache checkpoint if a trainer needs them).</description></item>
    /// <item><term>Schema fixed by</term><description>The first recording (header only is read at creation).</description></item>
    /// </list>
    /// </remarks>
    public static IDataView LoadFromEegRecordings(this DataOperationsCatalog catalog, IEnumerable<string> paths,
        double windowSeconds = 10, double? strideSeconds = null, bool useOnlyPresentChannels = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(paths);
        var options = new EegLoaderOptions
        {
            Montage = new MontageOptions { UseOnlyPresentChannels = useOnlyPresentChannels },
            Windows = new EegWindowOptions { WindowSeconds = windowSeconds, StrideSeconds = strideSeconds ?? windowSeconds },
        };
        return catalog.LoadFromEegRecordings(RecordingDiscovery.Find(paths), options);
    }

    /// <summary>
    /// Loads recordings, each with an optional label, as a streaming <see cref="IDataView"/> of model
    /// inputs, with full control of montage, resampling, windowing and quality filtering.
    /// </summary>
    /// <param name="catalog">The data catalog (<c>mlContext.Data</c>).</param>
    /// <param name="recordings">The recordings (files) and their labels.</param>
    /// <param name="options">Montage, window and filtering options.</param>
    /// <returns>The data view; columns as in the other overload, <c>Label</c> filled from annotations or the recording's label.</returns>
    public static IDataView LoadFromEegRecordings(this DataOperationsCatalog catalog, IEnumerable<EegRecordingSource> recordings, EegLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(recordings);
        ArgumentNullException.ThrowIfNull(options);
        var list = recordings.ToList();
        foreach (EegRecordingSource r in list)
            if (r is null || string.IsNullOrEmpty(r.Path)) throw new ArgumentException("A recording has no path.", nameof(recordings));
        if (list.Count == 0) throw new ArgumentException("recordings is empty; at least one EDF/BDF file is needed.", nameof(recordings));
        return new EegRecordingDataView(list, options);
    }
}
