using System.Globalization;
using System.Text;

namespace EegDino.ML.Eeg;

/// <summary>
/// Parses the time-stamped annotation lists (TALs) of one EDF+ annotation signal in one record:
/// <c>+onset[\x15duration]\x14text\x14text...\x14\x00</c>, repeated, zero-padded. The first TAL of
/// a record's first annotation signal with an empty first text is the record's time stamp.
/// </summary>
internal static class TalParser
{
    internal static void Parse(ReadOnlySpan<byte> bytes, long record, string source, List<EdfAnnotation> annotations, out double? recordOnset)
    {
        recordOnset = null;
        int pos = 0;
        bool first = true;
        while (pos < bytes.Length)
        {
            if (bytes[pos] == 0) { pos++; continue; }
            int end = bytes[pos..].IndexOf((byte)0);
            if (end < 0)
                throw Fail(source, record, pos, "a TAL is not terminated by a 0 byte");
            ReadOnlySpan<byte> tal = bytes.Slice(pos, end);
            int sep = tal.IndexOf((byte)0x14);
            if (sep < 0)
                throw Fail(source, record, pos, "a TAL has no 0x14 after its onset");
            ReadOnlySpan<byte> timing = tal[..sep];
            int durSep = timing.IndexOf((byte)0x15);
            double onset = ParseNumber(durSep < 0 ? timing : timing[..durSep], true, source, record, pos, "onset");
            double duration = durSep < 0 ? 0 : ParseNumber(timing[(durSep + 1)..], false, source, record, pos, "duration");
            ReadOnlySpan<byte> rest = tal[(sep + 1)..];
            bool firstText = true;
            while (rest.Length > 0)
            {
                int next = rest.IndexOf((byte)0x14);
                ReadOnlySpan<byte> text = next < 0 ? rest : rest[..next];
                if (first && firstText && text.Length == 0)
                    recordOnset = onset;
                else if (text.Length > 0)
                    annotations.Add(new EdfAnnotation(onset, duration, Encoding.UTF8.GetString(text)));
                firstText = false;
                if (next < 0) break;
                rest = rest[(next + 1)..];
            }
            first = false;
            pos += end + 1;
        }
    }

    private static double ParseNumber(ReadOnlySpan<byte> s, bool signed, string source, long record, int pos, string what)
    {
        string text = Encoding.ASCII.GetString(s);
        bool ok = s.Length > 0 && (!signed || s[0] is (byte)'+' or (byte)'-');
        foreach (byte b in signed && s.Length > 0 ? s[1..] : s)
            ok &= b is >= (byte)'0' and <= (byte)'9' or (byte)'.';
        if (ok && double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v))
            return v;
        throw Fail(source, record, pos, $"annotation {what} is '{text.Replace("\0", "\\0")}'; expected {(signed ? "a signed number such as +12.5" : "a number such as 4.2")}");
    }

    private static EdfFormatException Fail(string source, long record, int pos, string what) =>
        new($"{source}: EDF+ annotations of data record {record}, byte {pos}: {what}.");
}
