using System.Globalization;

namespace EegDino.ML.Tests;

/// <summary>
/// Compares embedding tables written by <c>eegdino embed</c> (CSV rows): the same windows (recording,
/// start, label, flags) exactly, each once, and the same embeddings to float32 rounding (NRMSE &lt;=
/// 1e-6 per row: a window encoded in another batch may sum in another order).
/// </summary>
internal static class EmbeddingTables
{
    public static void AssertSameRows(IReadOnlyList<string> expected, IReadOnlyList<string> actual, string context = "")
    {
        Dictionary<string, float[]> Index(IReadOnlyList<string> rows, string which)
        {
            var index = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (string row in rows)
            {
                string[] f = row.Split(',');
                string key = string.Join(',', f.Take(7));
                if (!index.TryAdd(key, f.Skip(7).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()))
                    Assert.Fail($"{which} holds the window {key} twice. {context}");
            }
            return index;
        }
        var e = Index(expected, "the expected table");
        var a = Index(actual, "the actual table");
        CollectionAssert.AreEquivalent(e.Keys.ToArray(), a.Keys.ToArray(), $"the same windows, none lost or added. {context}");
        foreach (var (key, embedding) in e)
        {
            double error = Fixtures.Nrmse(a[key], embedding.Select(v => (double)v).ToArray());
            Assert.IsLessThanOrEqualTo(1e-6, error, $"window {key}: embedding NRMSE {error:E2}. {context}");
        }
    }
}
