// Every use of an ML.NET name that is not public lives in this folder (MLNet/Internals). The names
// are reachable because the library compiles against a publicized copy of Microsoft.ML.Core.dll
// (build/EegDino.Publicize.targets lists them) and because the runtime honours the attribute
// below. Microsoft.ML is pinned to one version in Directory.Packages.props; after changing it, run
// MLNetInternalsTests: MLNetInternalsSelfTest checks every name by reflection and exercises it by a
// save/load round trip, and a scan of the library's IL checks that its list is the exact set used.
// See docs/mlnet.md, "Persistence mechanism and its fragility".

using System.Runtime.CompilerServices;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]

namespace System.Runtime.CompilerServices
{
    /// <summary>
    /// Lets this assembly call non-public members of the named assembly. Honoured by the .NET
    /// runtime (not by the C# compiler, hence the publicized reference). Declared here because the
    /// framework does not ship the type.
    /// </summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}
