using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EegDino.ML.ModelLoadProbe;

/// <summary>
/// <c>probe MODEL.zip ROWS.bin COLUMN OUTPUT.txt</c>: loads the model with plain ML.NET, feeds it the
/// rows (int32 count, int32 size, then count x size float32, column "Signal" plus a Boolean "Label"
/// that is false), and writes the values of COLUMN, one row per line, invariant culture. Exit code 3
/// if EegDino.ML was loaded before the model (the point is that it must not be). Exit code 4 if the
/// load fails: the line <c>load failed: TYPE: MESSAGE</c> names the exception under ML.NET's
/// reflection wrappers.
/// </summary>
internal static class Program
{
    private sealed class Row
    {
        public float[] Signal { get; set; } = [];
        public bool Label { get; set; }
    }

    private static int Main(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: probe MODEL.zip ROWS.bin COLUMN OUTPUT.txt");
            return 2;
        }
        if (IsLibraryLoaded())
        {
            Console.Error.WriteLine("EegDino.ML was loaded before the model.");
            return 3;
        }
        var rows = ReadRows(args[1], out int size);
        var ml = new MLContext(seed: 1);
        ITransformer model;
        try
        {
            model = ml.Model.Load(args[0], out DataViewSchema _);
        }
        catch (Exception e)
        {
            while (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
            Console.WriteLine($"load failed: {e.GetType().FullName}: {e.Message}");
            return 4;
        }
        Console.WriteLine($"loaded {model.GetType().Name}; EegDino.ML loaded by ML.NET: {IsLibraryLoaded()}");

        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Signal)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, size);
        IDataView output = model.Transform(ml.Data.LoadFromEnumerable(rows, definition));

        var column = output.Schema[args[2]];
        using var writer = new StreamWriter(args[3]);
        using var cursor = output.GetRowCursor([column]);
        if (column.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                writer.WriteLine(string.Join(" ", value.DenseValues().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }
        }
        else
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                writer.WriteLine(value.ToString("R", CultureInfo.InvariantCulture));
            }
        }
        (model as IDisposable)?.Dispose();
        return 0;
    }

    private static bool IsLibraryLoaded() => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "EegDino.ML");

    private static List<Row> ReadRows(string path, out int size)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = reader.ReadInt32();
        size = reader.ReadInt32();
        var rows = new List<Row>(count);
        for (int i = 0; i < count; i++)
        {
            var signal = new float[size];
            for (int k = 0; k < size; k++) signal[k] = reader.ReadSingle();
            rows.Add(new Row { Signal = signal });
        }
        return rows;
    }
}
