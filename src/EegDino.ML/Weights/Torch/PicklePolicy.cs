namespace EegDino.ML.Weights.Torch;

/// <summary>What a global name may do in a pickle read by <see cref="SafeUnpickler"/>.</summary>
internal enum PickleGlobalUse
{
    /// <summary>REDUCE runs one of the C# data builders (<see cref="PickleBuilders"/>, <see cref="TorchRebuilders"/>).</summary>
    Builder,

    /// <summary>REDUCE records an inert <see cref="PicklePlaceholder"/>; nothing is called.</summary>
    Placeholder,

    /// <summary>Named only (e.g. a NEWOBJ class or a storage type); REDUCE on it is refused.</summary>
    NameOnly,

    /// <summary>Refused as soon as the pickle names it.</summary>
    Denied,
}

/// <summary>
/// The security policy of the pickle reader, and nothing else: which global names a checkpoint
/// may call (a builder), record (a placeholder) or not even name. Audit this file to know what a
/// <c>.pt</c> file can make the library do; the opcode machine (<see cref="SafeUnpickler"/>) asks
/// <see cref="Classify"/> for every GLOBAL and REDUCE, and runs nothing that is not allowed here.
/// </summary>
internal static class PicklePolicy
{
    /// <summary>The callables REDUCE may run: each is a small C# function over plain data.</summary>
    public static readonly IReadOnlySet<string> Builders = new HashSet<string>(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "_codecs.encode",
        "builtins.set",
        "builtins.frozenset",
        "torch.Size",
    };

    /// <summary>
    /// Callables REDUCE may name whose result is kept as an inert placeholder (class name and
    /// arguments), because training checkpoints carry such values next to the weights (numpy
    /// scalars for metrics, an <c>argparse.Namespace</c> of options, a device). Never called.
    /// </summary>
    public static readonly IReadOnlySet<string> PlaceholderCallables = new HashSet<string>(StringComparer.Ordinal)
    {
        "numpy.core.multiarray.scalar",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy.dtype",
        "copyreg._reconstructor",
        "argparse.Namespace",
        "torch.device",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "collections.defaultdict",
        "datetime.datetime",
        "datetime.date",
        "datetime.timedelta",
        "builtins.complex",
        "builtins.slice",
        "builtins.bytearray",
    };

    // Modules whose names have no business in a weights file: refused as soon as they are named,
    // for a clear message (they could not run anyway: nothing is ever resolved).
    private static readonly HashSet<string> DeniedModuleRoots = new(StringComparer.Ordinal)
    {
        "os", "posix", "nt", "subprocess", "sys", "importlib", "runpy", "shutil", "socket", "pickle",
        "_pickle", "marshal", "code", "codeop", "pty", "ctypes", "webbrowser", "types", "operator",
        "functools", "io", "_io", "tempfile", "multiprocessing", "threading", "_thread", "signal",
        "asyncio", "urllib", "http", "ftplib", "smtplib", "telnetlib", "commands", "popen2",
        "platform", "glob", "zipimport", "pkgutil", "cProfile", "profile", "pdb", "timeit", "trace",
        "bdb", "ensurepip", "venv", "distutils", "setuptools", "pip", "posixpath", "ntpath",
    };

    // The only builtins a pickle may name (eval, exec, getattr, open, __import__... are denied).
    private static readonly HashSet<string> AllowedBuiltins = new(StringComparer.Ordinal)
    {
        "set", "frozenset", "bytearray", "complex", "slice", "object", "int", "float", "str", "bytes",
        "list", "dict", "tuple", "bool", "range",
    };

    /// <summary>What the global <c>module.name</c> may do.</summary>
    public static PickleGlobalUse Classify(string module, string name)
    {
        string root = module.Split('.')[0];
        if (DeniedModuleRoots.Contains(root)) return PickleGlobalUse.Denied;
        if (root is "builtins" or "__builtin__" && (module != root || !AllowedBuiltins.Contains(name))) return PickleGlobalUse.Denied;
        string fullName = module + "." + name;
        if (Builders.Contains(fullName)) return PickleGlobalUse.Builder;
        if (PlaceholderCallables.Contains(fullName)) return PickleGlobalUse.Placeholder;
        return PickleGlobalUse.NameOnly;
    }

    /// <summary>True when naming this global is refused outright.</summary>
    public static bool IsDeniedGlobal(string module, string name) => Classify(module, name) == PickleGlobalUse.Denied;
}
