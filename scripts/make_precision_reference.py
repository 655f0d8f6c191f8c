#!/usr/bin/python3
"""Float64 references for the reduced-precision accuracy figures of docs/encoder.md at sizes that have
no committed fixture (the Medium preset at full depth, the Large preset): too big to commit (Medium 136 MB,
Large 805 MB of weights), so they are written to a folder of your choice and measured from there.

Runs braindecode's EEGDINO (the PyTorch peer: eegdino.py and blocks.py, BSD-3, in ../shared/gpu/peer)
on Debian's python3-torch (1.13, CPU, reference BLAS: a Large row takes minutes in float64) with every
parameter randomised as the golden fixtures are (matrices N(0, 1/fan_in), biases and the attention
biases N(0, 0.2^2), norm weights 1 + N(0, 0.2^2), global tokens N(0, 0.2^2)), on an EEG-like input in
microvolts / 100 (a 10 Hz rhythm of 30 uV plus white noise, as the model sees it after InputScale).

  /usr/bin/python3 scripts/make_precision_reference.py --peer ../shared/gpu/peer --out DIR \
      [--cases medium,large] [--batch 2] [--seed 1]

Writes per case, in the golden fixtures' layout (test/EegDino.ML.Tests/TestData/fixtures/README.md):
CASE.weights.safetensors (float32), CASE.io.safetensors (input; encoder_output, pooled_mean, logits as
.f64, the exact reference, and .f32, PyTorch's own float32 run) and CASE.json (configuration).
"""
import argparse
import json
import os
import struct
import sys
import time
import types

import numpy as np
import torch
from torch import nn


def load_peer(folder):
    """braindecode's eegdino module with a minimal stand-in for the base classes it imports."""
    bd = types.ModuleType("braindecode"); bd.__path__ = []
    models = types.ModuleType("braindecode.models"); models.__path__ = []
    base = types.ModuleType("braindecode.models.base"); modules = types.ModuleType("braindecode.modules")

    class EEGModuleMixin:
        def __init__(self, n_outputs=None, n_chans=None, chs_info=None, n_times=None, input_window_seconds=None, sfreq=None):
            self._n_outputs, self._n_chans, self._n_times, self._sfreq = n_outputs, n_chans, n_times, sfreq
            super().__init__()
        n_outputs = property(lambda s: s._n_outputs); n_chans = property(lambda s: s._n_chans)
        n_times = property(lambda s: s._n_times); sfreq = property(lambda s: s._sfreq)

    class DropPath(nn.Module):  # inference only: the identity
        def __init__(self, drop_prob=None):
            super().__init__()

        def forward(self, x):
            return x

    base.EEGModuleMixin = EEGModuleMixin
    modules.DropPath = DropPath
    ns = {}
    exec(compile(open(os.path.join(folder, "blocks.py")).read(), "blocks.py", "exec"), ns)
    modules.PatchTokenizer = ns["PatchTokenizer"]
    sys.modules.update({"braindecode": bd, "braindecode.models": models, "braindecode.models.base": base, "braindecode.modules": modules})
    eeg = types.ModuleType("braindecode.models.eegdino"); eeg.__file__ = "eegdino.py"
    sys.modules["braindecode.models.eegdino"] = eeg
    exec(compile(open(os.path.join(folder, "eegdino.py")).read(), "eegdino.py", "exec"), eeg.__dict__)
    return eeg


def randomise(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and name != "global_tokens":
                fan_in = int(np.prod(p.shape[1:]))
                p.copy_(torch.randn(p.shape, generator=generator) / fan_in ** 0.5)
            elif name.endswith(".weight") and ("norm" in name or ".proj_in." in name):  # LayerNorm / GroupNorm scales
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))


def eeg_like(batch, channels, samples, generator):
    t = torch.arange(samples, dtype=torch.float64) / 200.0
    phase = 2 * np.pi * torch.rand(batch, channels, 1, generator=generator, dtype=torch.float64)
    rhythm = 30 * torch.sin(2 * np.pi * 10 * t + phase)
    noise = 10 * torch.randn(batch, channels, samples, generator=generator, dtype=torch.float64)
    return ((rhythm + noise) / 100).float()


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array)
        dtype = {np.float32: "F32", np.float64: "F64"}[array.dtype.type]
        data = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def outputs(model, x):
    features = model(x, return_features=True)
    patch = features["features"]
    global_token = features["cls_token"].unsqueeze(1)  # n_global_tokens = 1: the mean is the token itself
    return {
        "encoder_output": torch.cat([global_token, patch], dim=1),
        "pooled_mean": patch.mean(dim=1),
        "logits": model.final_layer(patch, x.shape[1]),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True, help="folder with eegdino.py and blocks.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", default="medium,large")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    eeg = load_peer(a.peer)
    channels, samples, n_outputs = 19, 2000, 4
    for case in a.cases.split(","):
        kw = eeg.EEGDINO_CONFIGS[case]
        generator = torch.Generator().manual_seed(a.seed)
        model = eeg.EEGDINO(n_chans=channels, n_outputs=n_outputs, n_times=samples, **kw).eval()
        randomise(model, generator)
        x = eeg_like(a.batch, channels, samples, generator)
        state = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items() if "relative_position" not in k}
        config = dict(n_layer=kw["n_layer"], nhead=kw["nhead"], dim_feedforward=kw["dim_feedforward"],
                      channels_kernel_stride_padding_norm=kw["channels_kernel_stride_padding_norm"],
                      n_channel_embeddings=19, n_global_tokens=1, global_token_layer=1, patch_size=200)
        write_safetensors(os.path.join(a.out, f"{case}.weights.safetensors"), state)
        io = {"input": x.numpy()}
        start = time.time()
        with torch.no_grad():
            for name, value in outputs(model, x).items():
                io[name + ".f32"] = value.numpy()
            model64 = model.double()
            for name, value in outputs(model64, x.double()).items():
                io[name + ".f64"] = value.numpy()
        write_safetensors(os.path.join(a.out, f"{case}.io.safetensors"), io)
        f32 = {k: float(np.sqrt(((io[k + ".f32"] - io[k + ".f64"]) ** 2).sum() / (io[k + ".f64"] ** 2).sum()))
               for k in ("encoder_output", "pooled_mean", "logits")}
        with open(os.path.join(a.out, f"{case}.json"), "w") as f:
            json.dump(dict(config, case=case, batch=a.batch, n_chans=channels, n_times=samples, n_outputs=n_outputs,
                           seed=a.seed, torch_version=torch.__version__, pytorch_f32_nrmse_vs_f64=f32), f, indent=1)
        print(f"{case}: B={a.batch}, {time.time() - start:.0f} s; PyTorch float32 NRMSE vs float64: {f32}", flush=True)


if __name__ == "__main__":
    main()
