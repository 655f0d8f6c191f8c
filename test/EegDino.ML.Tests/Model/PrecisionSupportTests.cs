using System.Runtime.Intrinsics.X86;
using EegDino.ML.Model;

namespace EegDino.ML.Tests.Model;

/// <summary>Reading the processor's bfloat16/float16 features, and the notice for a precision without a fast path.</summary>
[TestClass]
public sealed class PrecisionSupportTests
{
    [TestMethod]
    public void CpuInfoFlagsAreRead()
    {
        var none = PrecisionSupport.FromCpuInfoFlags("fpu vme avx avx2 f16c fma", "test");
        Assert.IsFalse(none.FastBFloat16);
        Assert.IsFalse(none.FastFloat16);
        var sapphire = PrecisionSupport.FromCpuInfoFlags("avx512f avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8", "test");
        Assert.IsTrue(sapphire.FastBFloat16);
        Assert.IsFalse(sapphire.FastFloat16, "AVX512-FP16 alone is no faster than float32 through libtorch");
        Assert.IsTrue(PrecisionSupport.FromCpuInfoFlags("avx512_bf16", "test").FastBFloat16, "AVX512-BF16 without AMX");
        Assert.IsTrue(PrecisionSupport.FromCpuInfoFlags("amx_fp16 amx_bf16", "test").FastFloat16);
    }

    [TestMethod]
    public void CpuidAgreesWithTheKernelsFlags()
    {
        if (!OperatingSystem.IsLinux() || !X86Base.IsSupported || !File.Exists("/proc/cpuinfo"))
            Assert.Inconclusive("Needs Linux on x86: /proc/cpuinfo is the independent reading CPUID is checked against.");
        string flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal));
        var kernel = PrecisionSupport.FromCpuInfoFlags(flags[(flags.IndexOf(':') + 1)..], "kernel");
        var cpuid = PrecisionSupport.FromCpuid()!;
        Console.WriteLine($"kernel: {kernel.Describe()}; CPUID: {cpuid.Describe()}");
        Assert.AreEqual(kernel with { Source = "" }, cpuid with { Source = "" });
    }

    [TestMethod]
    public void APrecisionWithoutAFastPathGetsANoticeOnce()
    {
        var avx2 = PrecisionSupport.FromCpuInfoFlags("avx avx2 f16c", "test");
        var amx = PrecisionSupport.FromCpuInfoFlags("avx512_bf16 amx_bf16 amx_fp16", "test");
        StringAssert.Contains(PrecisionSupport.SlowPathNote(EegDinoPrecision.BFloat16, avx2), "slower than Float32");
        StringAssert.Contains(PrecisionSupport.SlowPathNote(EegDinoPrecision.Float16, avx2), "AMX-FP16");
        Assert.IsNull(PrecisionSupport.SlowPathNote(EegDinoPrecision.Float32, avx2), "float32 is the baseline");
        Assert.IsNull(PrecisionSupport.SlowPathNote(EegDinoPrecision.BFloat16, amx));
        Assert.IsNull(PrecisionSupport.SlowPathNote(EegDinoPrecision.Float16, amx));
        Assert.IsNull(PrecisionSupport.SlowPathNote(EegDinoPrecision.BFloat16, (PrecisionSupport.CpuFeatures?)null), "unknown processor: no claim");
        Assert.AreEqual("", PrecisionSupport.Describe(EegDinoPrecision.Float32, TorchSharp.torch.CPU));
    }
}
