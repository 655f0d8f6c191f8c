using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace EegDino.ML.Weights.Torch;

/// <summary>
/// The opcode machine of a pickle reader for the subset <c>torch.save</c> writes (protocol 2 and the
/// binary opcodes up to protocol 5 that carry plain data), built so that a hostile file can do
/// nothing but fail. What names may do is decided by <see cref="PicklePolicy"/> alone; calls run
/// only the C# data builders of <see cref="PickleBuilders"/> and <see cref="TorchRebuilders"/>:
/// <list type="bullet">
/// <item>GLOBAL/STACK_GLOBAL only push a name; nothing is imported. Names the policy denies are
/// refused on sight.</item>
/// <item>REDUCE (a call in Python) runs a builder, records an inert <see cref="PicklePlaceholder"/>
/// for a placeholder callable, and is refused on anything else.</item>
/// <item>NEWOBJ (allocate an instance of a class) always gives an inert placeholder holding the
/// class name and arguments; BUILD stores the state in it. No class or <c>__setstate__</c> runs.</item>
/// <item>Every length is checked against the bytes left before anything is allocated; the stack,
/// the MARK nesting and the memo are bounded; opcodes that need text parsing, extension registries
/// or out-of-band buffers are refused.</item>
/// </list>
/// Violations raise <see cref="EegDinoModelFormatException"/> with the opcode and its offset.
/// </summary>
internal sealed class SafeUnpickler
{
    /// <summary>Most values on the stack at once.</summary>
    public const int MaxStackSize = 1 << 20;

    /// <summary>Most nested MARKs (open tuple/list/dict literals) at once.</summary>
    public const int MaxMarkDepth = 1000;

    /// <summary>Most distinct memo entries.</summary>
    public const int MaxMemoEntries = 1 << 20;

    /// <summary>Longest Python int accepted (bytes of two's complement).</summary>
    public const int MaxLongBytes = 64;

    /// <summary>
    /// Most values pushed in one pickle (a torch.save pickle pushes a few per tensor). Each push
    /// costs a few bytes of pickle but up to ~100 bytes of objects: this bounds what a large,
    /// possibly deflate-compressed data.pkl can build.
    /// </summary>
    public const int MaxPushes = 1 << 23;

    private readonly byte[] _data;
    private readonly Func<object?, object?> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<uint, object?> _memo = [];
    private int _pos;
    private int _pushes;
    private int _opStart;
    private byte _op;

    private SafeUnpickler(byte[] data, Func<object?, object?> persistentLoad)
    {
        _data = data;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Reads one pickle and returns its value.</summary>
    /// <param name="data">The whole pickle (e.g. <c>data.pkl</c>).</param>
    /// <param name="persistentLoad">Turns a persistent id (BINPERSID) into a value; may throw.</param>
    public static object? Load(byte[] data, Func<object?, object?> persistentLoad) =>
        new SafeUnpickler(data, persistentLoad).Run();

    private object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw Fail("the pickle ends without a STOP opcode");
            _opStart = _pos;
            _op = _data[_pos++];
            switch (_op)
            {
                case 0x80: // PROTO
                    {
                        byte proto = ReadByte();
                        if (proto > 5) throw Fail($"protocol {proto} is not supported (at most 5)");
                        break;
                    }
                case 0x95: // FRAME: a length hint only
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    {
                        if (_marks.Count != 0) throw Fail("STOP inside an open MARK");
                        if (_stack.Count != 1) throw Fail($"STOP with {_stack.Count} values on the stack (1 expected)");
                        return _stack[0];
                    }
                case (byte)'(': // MARK
                    if (_marks.Count >= MaxMarkDepth) throw Fail($"more than {MaxMarkDepth} nested MARKs");
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;

                // --- constants and numbers
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: // LONG4
                    {
                        int n = BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));
                        if (n < 0) throw Fail($"negative LONG4 length {n}");
                        Push(ReadLong(n));
                        break;
                    }
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT

                // --- strings and bytes
                case (byte)'X': Push(ReadUtf8(ReadLength4())); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(ReadLength8())); break; // BINUNICODE8
                case (byte)'T': Push(Latin1(ReadBytes(ReadLength4()))); break; // BINSTRING (py2 str)
                case (byte)'U': Push(Latin1(ReadBytes(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(ReadBytes(ReadLength4()).ToArray()); break; // BINBYTES
                case (byte)'C': Push(ReadBytes(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(ReadBytes(ReadLength8()).ToArray()); break; // BINBYTES8
                case 0x96: Push(new PicklePlaceholder("builtins.bytearray", [ReadBytes(ReadLength8()).ToArray()])); break; // BYTEARRAY8

                // --- containers
                case (byte)')': Push(PickleTuple.Empty); break; // EMPTY_TUPLE
                case 0x85: Push(new PickleTuple(PopN(1))); break; // TUPLE1
                case 0x86: Push(new PickleTuple(PopN(2))); break; // TUPLE2
                case 0x87: Push(new PickleTuple(PopN(3))); break; // TUPLE3
                case (byte)'t': Push(new PickleTuple(PopMark())); break; // TUPLE
                case (byte)']': Push(new PickleList([])); break; // EMPTY_LIST
                case (byte)'l': Push(new PickleList([.. PopMark()])); break; // LIST
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)'d': // DICT
                    {
                        object?[] items = PopMark();
                        if (items.Length % 2 != 0) throw Fail("DICT with an odd number of items");
                        var dict = new PickleDict();
                        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                        Push(dict);
                        break;
                    }
                case 0x8f: Push(new PickleSet(frozen: false)); break; // EMPTY_SET
                case 0x91: // FROZENSET
                    {
                        var set = new PickleSet(frozen: true);
                        set.Items.AddRange(PopMark());
                        Push(set);
                        break;
                    }
                case (byte)'a': // APPEND
                    {
                        object? item = Pop();
                        ListOf(Peek()).Items.Add(item);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        object?[] items = PopMark();
                        ListOf(Peek()).Items.AddRange(items);
                        break;
                    }
                case 0x90: // ADDITEMS
                    {
                        object?[] items = PopMark();
                        if (Peek() is not PickleSet set || set.Frozen) throw Fail($"ADDITEMS on {Describe(Peek())} (a set expected)");
                        set.Items.AddRange(items);
                        break;
                    }
                case (byte)'s': // SETITEM
                    {
                        object? value = Pop();
                        object? key = Pop();
                        SetItems(Peek(), [key, value]);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        object?[] items = PopMark();
                        if (items.Length % 2 != 0) throw Fail("SETITEMS with an odd number of items");
                        SetItems(Peek(), items);
                        break;
                    }

                // --- memo
                case (byte)'q': Memoize(ReadByte()); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))); break; // LONG_BINPUT
                case 0x94: Memoize((uint)_memo.Count); break; // MEMOIZE
                case (byte)'h': Push(MemoGet(ReadByte())); break; // BINGET
                case (byte)'j': Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET

                // --- names and objects
                case (byte)'c': // GLOBAL: "module\nname\n"
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        Push(MakeGlobal(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop();
                        object? module = Pop();
                        if (module is not string m || name is not string n) throw Fail("STACK_GLOBAL needs two strings");
                        Push(MakeGlobal(m, n));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        object? args = Pop();
                        object? callable = Pop();
                        if (args is not PickleTuple tuple) throw Fail($"REDUCE arguments are {Describe(args)} (a tuple expected)");
                        Push(Reduce(callable, tuple.Items));
                        break;
                    }
                case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                    {
                        object? args = Pop();
                        object? cls = Pop();
                        if (args is not PickleTuple tuple) throw Fail($"NEWOBJ arguments are {Describe(args)} (a tuple expected)");
                        Push(NewObject(cls, tuple.Items));
                        break;
                    }
                case 0x92: // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
                    {
                        object? kwargs = Pop();
                        object? args = Pop();
                        object? cls = Pop();
                        if (args is not PickleTuple tuple || kwargs is not PickleDict) throw Fail("NEWOBJ_EX needs a tuple and a dict");
                        var obj = NewObject(cls, tuple.Items);
                        if (obj is PicklePlaceholder p) p.States.Add(kwargs);
                        Push(obj);
                        break;
                    }
                case (byte)'b': // BUILD: obj.__setstate__(state) or obj.__dict__.update(state)
                    {
                        object? state = Pop();
                        Build(Peek(), state);
                        break;
                    }
                case (byte)'Q': // BINPERSID
                    Push(_persistentLoad(Pop()));
                    break;

                default:
                    throw Fail(Refusal(_op));
            }
        }
    }

    private static string Refusal(byte op) => op switch
    {
        (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'p' or (byte)'g' =>
            "text (protocol 0) opcodes are not supported; torch.save writes binary pickles",
        (byte)'P' => "PERSID (text persistent id) is not supported",
        (byte)'i' or (byte)'o' => "INST/OBJ (protocol 0/1 instance creation) is refused",
        0x82 or 0x83 or 0x84 => "EXT1/EXT2/EXT4 (copyreg extension registry) is refused",
        0x97 or 0x98 => "out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not supported",
        _ => $"unknown opcode 0x{op:x2}",
    };

    private PickleGlobal MakeGlobal(string module, string name)
    {
        if (module.Length == 0 || name.Length == 0) throw Fail("empty global name");
        if (PicklePolicy.Classify(module, name) == PickleGlobalUse.Denied)
            throw Fail($"the pickle names the global {module}.{name}, which is refused: a weights file has no use for it and a malicious one would call it");
        return new PickleGlobal(module, name);
    }

    private object? Reduce(object? callable, object?[] args)
    {
        if (callable is not PickleGlobal g) throw Fail($"REDUCE on {Describe(callable)} (only named callables are accepted)");
        return PicklePolicy.Classify(g.Module, g.Name) switch
        {
            PickleGlobalUse.Builder => PickleBuilders.Build(g.FullName, args, Fail),
            PickleGlobalUse.Placeholder => new PicklePlaceholder(g.FullName, args),
            _ => throw Fail($"REDUCE would call {g.FullName}, which is not on the allow-list ({string.Join(", ", PicklePolicy.Builders)}; inert placeholders for {string.Join(", ", PicklePolicy.PlaceholderCallables)})"),
        };
    }

    private object? NewObject(object? cls, object?[] args)
    {
        if (cls is not PickleGlobal g) throw Fail($"NEWOBJ on {Describe(cls)} (a class name expected)");
        return g.FullName switch
        {
            "collections.OrderedDict" or "builtins.dict" => new PickleDict(),
            "builtins.list" => new PickleList([]),
            "builtins.set" => new PickleSet(frozen: false),
            _ => new PicklePlaceholder(g.FullName, args),
        };
    }

    private void Build(object? target, object? state)
    {
        switch (target)
        {
            case PicklePlaceholder p:
                p.States.Add(state);
                break;
            case PickleDict d when state is PickleDict s:
                foreach (var kv in s.Items) d.Set(kv.Key, kv.Value);
                break;
            case PickleDict:
                break; // OrderedDict's state is None or empty
            case TorchTensorRef:
                break; // a tensor's Python attributes (rare) are not weights
            default:
                throw Fail($"BUILD on {Describe(target)}");
        }
    }

    private PickleList ListOf(object? target) =>
        target as PickleList ?? throw Fail($"APPEND on {Describe(target)} (a list expected)");

    private void SetItems(object? target, object?[] items)
    {
        if (target is not PickleDict dict) throw Fail($"SETITEM on {Describe(target)} (a dict expected)");
        for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
    }

    private void Memoize(uint index)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count)) throw Fail("memo store with an empty stack");
        if (!_memo.ContainsKey(index) && _memo.Count >= MaxMemoEntries) throw Fail($"more than {MaxMemoEntries} memo entries");
        _memo[index] = _stack[^1];
    }

    private object? MemoGet(uint index) =>
        _memo.TryGetValue(index, out object? v) ? v : throw Fail($"memo entry {index} was never stored");

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStackSize) throw Fail($"more than {MaxStackSize} values on the stack");
        if (++_pushes > MaxPushes) throw Fail($"the pickle builds more than {MaxPushes} values; a checkpoint's pickle holds names and shapes, not data");
        _stack.Add(value);
    }

    private object? Pop()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Fail("stack underflow");
        object? v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek()
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count <= floor) throw Fail("stack underflow");
        return _stack[^1];
    }

    private object?[] PopN(int n)
    {
        int floor = _marks.Count > 0 ? _marks.Peek() : 0;
        if (_stack.Count - floor < n) throw Fail("stack underflow");
        object?[] items = _stack.GetRange(_stack.Count - n, n).ToArray();
        _stack.RemoveRange(_stack.Count - n, n);
        return items;
    }

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw Fail("no MARK to pop to");
        int start = _marks.Pop();
        object?[] items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Fail("the pickle is truncated");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> ReadBytes(long n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Fail($"a length of {n} bytes runs past the end of the pickle ({_data.Length - _pos} left)");
        var span = new ReadOnlySpan<byte>(_data, _pos, (int)n);
        _pos += (int)n;
        return span;
    }

    private long ReadLength4() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    private long ReadLength8()
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));
        if (n > (ulong)(_data.Length - _pos)) throw Fail($"a length of {n} bytes runs past the end of the pickle ({_data.Length - _pos} left)");
        return (long)n;
    }

    private string ReadUtf8(long n)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(ReadBytes(n));
        }
        catch (DecoderFallbackException)
        {
            throw Fail("a string is not valid UTF-8");
        }
    }

    private static string Latin1(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(_data.Length - _pos, 1024));
        if (end < 0) throw Fail("a GLOBAL name is unterminated or longer than 1024 bytes");
        string s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        foreach (char ch in s)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.')) throw Fail($"the GLOBAL name '{s}' has a character other than letters, digits, '_' and '.'");
        }
        return s;
    }

    private object ReadLong(int n)
    {
        if (n > MaxLongBytes) throw Fail($"an int of {n} bytes (at most {MaxLongBytes})");
        ReadOnlySpan<byte> bytes = ReadBytes(n);
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private static string Describe(object? value) => PickleValue.Describe(value);

    private EegDinoModelFormatException Fail(string message) =>
        new($"Pickle opcode 0x{_op:x2} at byte {_opStart}: {message}.");
}
