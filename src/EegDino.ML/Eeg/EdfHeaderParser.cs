using System.Globalization;
using System.Text;

namespace EegDino.ML.Eeg;

/// <summary>
/// Parses and validates the EDF/BDF header (256 fixed bytes + 256 per signal). Every failure is an
/// <see cref="EdfFormatException"/> naming the source, the field, the signal and the value found.
/// </summary>
internal static class EdfHeaderParser
{
    /// <summary>EDF+ specification: annotation signals are labelled exactly like this.</summary>
    internal const string EdfAnnotationsLabel = "EDF Annotations";
    internal const string BdfAnnotationsLabel = "BDF Annotations";

    // Upper bounds that keep a corrupt header from asking for absurd allocations.
    private const int MaxSignals = 4096;
    private const long MaxRecordBytes = 256L * 1024 * 1024;

    internal static (EdfHeader Header, EdfSignal[] Signals, int RecordBytes, int[] SignalByteOffsets)
        Parse(Stream stream, string source)
    {
        long fileLength = stream.Length;
        stream.Position = 0;
        byte[] fixedPart = ReadExactly(stream, 256, source, "fixed header (256 bytes)");

        bool isBdf;
        if (fixedPart[0] == 0xFF)
        {
            string id = Encoding.ASCII.GetString(fixedPart, 1, 7);
            if (id != "BIOSEMI")
                throw Fail(source, "version", Show(fixedPart, 0, 8), "'0' for EDF or 0xFF 'BIOSEMI' for BDF");
            isBdf = true;
        }
        else
        {
            string version = Field(fixedPart, 0, 8, source, "version");
            if (version != "0")
                throw Fail(source, "version", version, "'0' for EDF or 0xFF 'BIOSEMI' for BDF");
            isBdf = false;
        }

        string patient = Field(fixedPart, 8, 80, source, "local patient identification");
        string recording = Field(fixedPart, 88, 80, source, "local recording identification");
        string startDate = Field(fixedPart, 168, 8, source, "startdate of recording");
        string startTime = Field(fixedPart, 176, 8, source, "starttime of recording");
        string headerBytesText = Field(fixedPart, 184, 8, source, "number of bytes in header record");
        string reserved = Field(fixedPart, 192, 44, source, "reserved");
        string recordsText = Field(fixedPart, 236, 8, source, "number of data records");
        string durationText = Field(fixedPart, 244, 8, source, "duration of a data record");
        string signalsText = Field(fixedPart, 252, 4, source, "number of signals");

        DateTime start = ParseStart(startDate, startTime, source);
        int ns = ParseInt(signalsText, source, "number of signals", null);
        if (ns < 1 || ns > MaxSignals)
            throw Fail(source, "number of signals", signalsText, $"a whole number from 1 to {MaxSignals}");
        int headerBytes = ParseInt(headerBytesText, source, "number of bytes in header record", null);
        if (headerBytes != 256 * (ns + 1))
            throw Fail(source, "number of bytes in header record", headerBytesText,
                $"256 x (number of signals + 1) = {256 * (ns + 1)} for {ns} signals");
        if (fileLength < headerBytes)
            throw new EdfFormatException(
                $"{source}: the file is {fileLength} bytes, shorter than its header ({headerBytes} bytes for {ns} signals); it is truncated or the 'number of signals' field ({signalsText}) is wrong.");
        long records = ParseLong(recordsText, source, "number of data records");
        if (records < -1)
            throw Fail(source, "number of data records", recordsText, "a whole number >= 0 (or -1 while recording)");
        double duration = ParseDouble(durationText, source, "duration of a data record", null);
        if (duration < 0 || double.IsNaN(duration) || double.IsInfinity(duration) || duration > 1e7)
            throw Fail(source, "duration of a data record", durationText, "a number of seconds >= 0");

        EdfFileType type = (isBdf, reserved) switch
        {
            (false, _) when reserved.StartsWith("EDF+C", StringComparison.Ordinal) => EdfFileType.EdfPlusContinuous,
            (false, _) when reserved.StartsWith("EDF+D", StringComparison.Ordinal) => EdfFileType.EdfPlusDiscontinuous,
            (true, _) when reserved.StartsWith("BDF+C", StringComparison.Ordinal) => EdfFileType.BdfPlusContinuous,
            (true, _) when reserved.StartsWith("BDF+D", StringComparison.Ordinal) => EdfFileType.BdfPlusDiscontinuous,
            (true, _) => EdfFileType.Bdf,
            _ => EdfFileType.Edf,
        };
        bool plus = type is not (EdfFileType.Edf or EdfFileType.Bdf);

        byte[] sigPart = ReadExactly(stream, 256 * ns, source, $"signal headers ({ns} x 256 bytes)");
        int offset = 0;
        string[] Block(int width, string name)
        {
            var values = new string[ns];
            for (int i = 0; i < ns; i++)
                values[i] = Field(sigPart, offset + i * width, width, source, $"{name} of signal {i + 1}");
            offset += width * ns;
            return values;
        }
        string[] labels = Block(16, "label");
        string[] transducers = Block(80, "transducer type");
        string[] dims = Block(8, "physical dimension");
        string[] physMins = Block(8, "physical minimum");
        string[] physMaxs = Block(8, "physical maximum");
        string[] digMins = Block(8, "digital minimum");
        string[] digMaxs = Block(8, "digital maximum");
        string[] prefilters = Block(80, "prefiltering");
        string[] samples = Block(8, "nr of samples in each data record");

        int bytesPerSample = isBdf ? 3 : 2;
        int digitalLow = isBdf ? -8388608 : -32768, digitalHigh = isBdf ? 8388607 : 32767;
        var signals = new EdfSignal[ns];
        var byteOffsets = new int[ns];
        long recordBytes = 0;
        for (int i = 0; i < ns; i++)
        {
            string who = $"signal {i + 1} ('{labels[i]}')";
            bool isAnnotation = plus && labels[i] == (isBdf ? BdfAnnotationsLabel : EdfAnnotationsLabel);
            int spr = ParseInt(samples[i], source, "nr of samples in each data record", who);
            if (spr < 1)
                throw Fail(source, "nr of samples in each data record", samples[i], "a whole number >= 1", who);
            int dMin = ParseInt(digMins[i], source, "digital minimum", who);
            int dMax = ParseInt(digMaxs[i], source, "digital maximum", who);
            if (dMin < digitalLow || dMin > digitalHigh)
                throw Fail(source, "digital minimum", digMins[i], $"a whole number from {digitalLow} to {digitalHigh}", who);
            if (dMax < digitalLow || dMax > digitalHigh)
                throw Fail(source, "digital maximum", digMaxs[i], $"a whole number from {digitalLow} to {digitalHigh}", who);
            if (dMax <= dMin)
                throw Fail(source, "digital maximum", digMaxs[i], $"a value greater than the digital minimum ({dMin})", who);
            double pMin = ParseDouble(physMins[i], source, "physical minimum", who);
            double pMax = ParseDouble(physMaxs[i], source, "physical maximum", who);
            if (!isAnnotation && pMax == pMin)
                throw Fail(source, "physical maximum", physMaxs[i], $"a value different from the physical minimum ({physMins[i]})", who);
            byteOffsets[i] = checked((int)recordBytes);
            recordBytes += (long)spr * bytesPerSample;
            if (recordBytes > MaxRecordBytes)
                throw Fail(source, "nr of samples in each data record", samples[i],
                    $"values whose data record stays under {MaxRecordBytes} bytes", who);
            signals[i] = new EdfSignal(
                i, labels[i], transducers[i], dims[i], pMin, pMax, dMin, dMax, prefilters[i], spr,
                duration > 0 ? spr / duration : 0, isAnnotation, isAnnotation ? null : EegUnits.MicrovoltsPerUnit(dims[i]));
        }
        if (duration == 0 && signals.FirstOrDefault(s => !s.IsAnnotation) is { } timed)
            throw Fail(source, "duration of a data record", durationText,
                $"a positive number of seconds: signal {timed.Index + 1} ('{timed.Label}') holds samples, so it needs a sampling rate (EDF allows 0 only for files that hold annotations alone)");
        if (plus && !signals.Any(s => s.IsAnnotation))
            throw new EdfFormatException(
                $"{source}: the 'reserved' field says '{reserved}' but no signal is labelled '{(isBdf ? BdfAnnotationsLabel : EdfAnnotationsLabel)}', which EDF+/BDF+ requires.");

        long dataBytes = fileLength - headerBytes;
        if (records == -1)
        {
            if (dataBytes % recordBytes != 0)
                throw new EdfFormatException(
                    $"{source}: 'number of data records' is -1 and the {dataBytes} data bytes are not a whole number of {recordBytes}-byte records.");
            records = dataBytes / recordBytes;
        }
        else if (records * recordBytes != dataBytes)
        {
            long whole = dataBytes / recordBytes;
            string what = records * recordBytes > dataBytes ? "truncated" : "longer than its header says";
            throw new EdfFormatException(
                $"{source}: the file is {what}: field 'number of data records' is '{recordsText}' ({records} x {recordBytes} bytes + {headerBytes} header bytes = {headerBytes + records * recordBytes} bytes) but the file has {fileLength} bytes ({whole} whole records{(dataBytes % recordBytes != 0 ? $" and {dataBytes % recordBytes} extra bytes" : "")}).");
        }

        var header = new EdfHeader(type, patient, recording, start, headerBytes, records, duration, ns);
        return (header, signals, (int)recordBytes, byteOffsets);
    }

    private static DateTime ParseStart(string date, string time, string source)
    {
        if (!TryTriple(date, out int dd, out int mm, out int yy))
            throw Fail(source, "startdate of recording", date, "dd.mm.yy");
        if (!TryTriple(time, out int hh, out int mi, out int ss))
            throw Fail(source, "starttime of recording", time, "hh.mm.ss");
        int year = yy >= 85 ? 1900 + yy : 2000 + yy;
        try
        {
            return new DateTime(year, mm, dd, hh, mi, ss, DateTimeKind.Unspecified);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Fail(source, "startdate/starttime of recording", $"{date} {time}", "a valid date dd.mm.yy and time hh.mm.ss");
        }
    }

    private static bool TryTriple(string s, out int a, out int b, out int c)
    {
        a = b = c = 0;
        string[] parts = s.Split('.');
        return parts.Length == 3 && parts.All(p => p.Length == 2 && p.All(char.IsAsciiDigit))
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out a)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out b)
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out c);
    }

    private static byte[] ReadExactly(Stream stream, int count, string source, string what)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = stream.Read(buffer, read, count - read);
            if (n == 0)
                throw new EdfFormatException($"{source}: the file ends after {stream.Position} bytes, inside the {what}; it is truncated.");
            read += n;
        }
        return buffer;
    }

    /// <summary>Decodes a fixed-width ASCII field; the EDF specification allows only bytes 32..126.</summary>
    private static string Field(byte[] bytes, int start, int width, string source, string field)
    {
        for (int i = start; i < start + width; i++)
        {
            byte b = bytes[i];
            if (b < 32 || b > 126)
                throw new EdfFormatException(
                    $"{source}: header field '{field}' contains byte 0x{b:X2} at offset {i - start}; EDF headers allow only printable ASCII (0x20-0x7E). Field bytes: {Show(bytes, start, width)}.");
        }
        return Encoding.ASCII.GetString(bytes, start, width).Trim(' ');
    }

    private static string Show(byte[] bytes, int start, int width)
    {
        var sb = new StringBuilder();
        for (int i = start; i < start + width; i++)
            sb.Append(bytes[i] is >= 32 and <= 126 ? ((char)bytes[i]).ToString() : $"\\x{bytes[i]:X2}");
        return sb.ToString().TrimEnd();
    }

    private static int ParseInt(string text, string source, string field, string? who)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)) return v;
        throw Fail(source, field, text, "a whole number", who);
    }

    private static long ParseLong(string text, string source, string field)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) return v;
        throw Fail(source, field, text, "a whole number");
    }

    private static double ParseDouble(string text, string source, string field, string? who)
    {
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double v) && double.IsFinite(v))
            return v;
        throw Fail(source, field, text, "a decimal number such as -3276.8", who);
    }

    private static EdfFormatException Fail(string source, string field, string value, string expected, string? who = null) =>
        new($"{source}: header field '{field}'{(who is null ? "" : $" of {who}")} is '{value}'; expected {expected}.");
}
