using TorchSharp;

namespace EegDino.ML.Tests.Model;

/// <summary>
/// <c>Device = "mps"</c> is accepted where TorchSharp reports MPS available (macOS on Apple silicon)
/// and is otherwise a clear error naming the device and why. Only the error can be checked on this
/// project's Linux machines; the MPS path itself is untested (docs/onnx.md).
/// </summary>
[TestClass]
public sealed class MpsDeviceTests
{
    [TestMethod]
    public void MpsIsAcceptedWhereAvailableAndAClearErrorElsewhere()
    {
        if (torch.mps_is_available())
        {
            // On a Mac the same options are accepted; the numbers on MPS are not checked by this project.
            using var encoder = EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Device = "mps" });
            Assert.AreEqual("mps", encoder.Options.Device);
            return;
        }
        var e = Assert.ThrowsExactly<EegDinoException>(() =>
            EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Device = " MPS " }));
        StringAssert.Contains(e.Message, "Device ' MPS ' was asked for");
        StringAssert.Contains(e.Message, "MPS (Apple's Metal GPU backend) is not available");
        StringAssert.Contains(e.Message, "macOS on Apple silicon");
    }

    [TestMethod]
    public void AnUnknownDeviceNamesMpsAmongTheChoices()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            EegDinoEncoder.Load(Fixtures.Weights("tiny"), new EegDinoEncoderOptions { Config = Fixtures.Config("tiny"), Device = "metal" }));
        StringAssert.Contains(e.Message, "Device is 'metal'; expected \"cpu\"");
        StringAssert.Contains(e.Message, "or \"mps\"");
    }
}
