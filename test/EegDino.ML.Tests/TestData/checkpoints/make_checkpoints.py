"""Generates the small torch.save checkpoints the checkpoint-reader tests use.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 make_checkpoints.py
from this folder, next to ../fixtures/tiny.weights.safetensors (or pass its path as argv[1]).
The outputs are committed: the tests never need Python.

Files:
  dtypes.pt         float16 / bfloat16 / float64 tensors, each with its exact float32 value
  views.pt          strided views (transpose, slices with offset, shared storage, stride 0,
                    scalar, empty) each with a contiguous float32 copy as reference
  tiny.finetuned.pt the tiny fixture's weights in the original fine-tuning code's names:
                    encoder.<key>, full_linear, channel_linear, classifier.{0,3,6}, plus a
                    relative_position_index buffer (int64)
  namespace.pt      a training checkpoint with an argparse.Namespace, a numpy scalar and a
                    torch.device next to the state_dict (inert data, must load)
  os_system.pt      a state_dict whose pickle calls os.system on load (must be refused)
  reduce_counter.pt a pickle that calls collections.Counter (not allow-listed, must be refused)

DINO and self-supervised checkpoints in naming variants other than the released one; in each the
student (or the plain encoder) is the tiny fixture's encoder (no final_layer), and the teacher or
EMA copy shares its storages except global_tokens, which is student + 1:
  tiny.dino-projectors.pt  the released layout with projectors named student_projector.* /
                           teacher_projector.* (weight-normed last layer), and an epoch
  tiny.dino-multicrop.pt   the DINO repository's checkpoint.pth: top-level student / teacher
                           (MultiCropWrapper: backbone.* + head.*), optimizer with state tensors,
                           dino_loss.center, args (argparse.Namespace), epoch
  tiny.momentum.pt         a non-DINO self-supervised state_dict: backbone.* (the encoder),
                           momentum_backbone.* (an EMA copy), predictor.*, center
"""
import argparse
import collections
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = collections.OrderedDict()
    for key, info in header.items():
        if key == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[key] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").copy()).reshape(info["shape"])
    return out


def save(obj, name):
    path = os.path.join(HERE, name)
    torch.save(obj, path)
    print(name, os.path.getsize(path))


def main():
    g = torch.Generator().manual_seed(1234)

    x = torch.randn(3, 5, generator=g) * 3
    save(collections.OrderedDict(
        half=x.half(), half_as_f32=x.half().float(),
        bf16=x.bfloat16(), bf16_as_f32=x.bfloat16().float(),
        f64=x.double() / 7, f64_as_f32=(x.double() / 7).float(),
    ), "dtypes.pt")

    base = torch.randn(4, 6, generator=g)
    row = torch.randn(5, generator=g)
    views = collections.OrderedDict()
    views["transposed"] = base.t()
    views["slice"] = base[1:3, 2:]
    views["column"] = base[:, 4]
    views["whole"] = base
    views["expanded"] = row[:3].unsqueeze(0).expand(2, 3)
    views["scalar"] = row[4]
    views["empty"] = base[2:2]
    views["half_slice"] = base.half()[1:, ::2]
    refs = collections.OrderedDict((k + "_ref", v.float().contiguous().clone()) for k, v in views.items())
    views.update(refs)
    save(views, "views.pt")

    weights = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "fixtures", "tiny.weights.safetensors")
    sd = read_safetensors(weights)
    ft = collections.OrderedDict()
    for key, value in sd.items():
        if key.startswith("final_layer.token_proj.0."):
            ft["full_linear." + key[len("final_layer.token_proj.0."):]] = value
        elif key.startswith("final_layer.time_proj.0."):
            ft["channel_linear." + key[len("final_layer.time_proj.0."):]] = value
        elif key.startswith("final_layer.classifier."):
            ft["classifier." + key[len("final_layer.classifier."):]] = value
        else:
            ft["encoder." + key] = value
    ft["encoder.encoder_layers.0.attn.relative_position_index"] = torch.arange(36).reshape(6, 6)
    save(ft, "tiny.finetuned.pt")

    small = collections.OrderedDict(w=torch.ones(2, 2))
    save({
        "state_dict": small,
        "args": argparse.Namespace(lr=0.0005, model="EEG_DINO_S", layers=[1, 2]),
        "best_metric": np.float64(0.75),
        "device": torch.device("cpu"),
        "epoch": 3,
    }, "namespace.pt")

    class RunsCommand:
        def __reduce__(self):
            return (os.system, ("echo this checkpoint ran a command > /dev/null",))

    save({"state_dict": small, "payload": RunsCommand()}, "os_system.pt")

    class CallsCounter:
        def __reduce__(self):
            return (collections.Counter, ([1, 2, 2],))

    save({"state_dict": small, "payload": CallsCounter()}, "reduce_counter.pt")

    encoder = collections.OrderedDict((k, v) for k, v in sd.items() if not k.startswith("final_layer."))
    copy = collections.OrderedDict((k, v + 1 if k == "global_tokens" else v) for k, v in encoder.items())
    dim = encoder["global_tokens"].shape[-1]

    def projector(prefix):
        return collections.OrderedDict([
            (prefix + "mlp.0.weight", torch.randn(64, dim, generator=g)),
            (prefix + "mlp.0.bias", torch.randn(64, generator=g)),
            (prefix + "last_layer.weight_g", torch.ones(128, 1)),
            (prefix + "last_layer.weight_v", torch.randn(128, 64, generator=g)),
        ])

    released = collections.OrderedDict()
    released.update(("module.student." + k, v) for k, v in encoder.items())
    released.update(("module.teacher." + k, v) for k, v in copy.items())
    released.update(projector("module.student_projector."))
    released.update(projector("module.teacher_projector."))
    save({"state_dict": released, "epoch": 3}, "tiny.dino-projectors.pt")

    student = collections.OrderedDict(("backbone." + k, v) for k, v in encoder.items())
    student.update(projector("head."))
    teacher = collections.OrderedDict(("backbone." + k, v) for k, v in copy.items())
    teacher.update(projector("head."))
    exp_avg = torch.zeros(64, dim)
    save({
        "student": student,
        "teacher": teacher,
        "optimizer": {"state": {0: {"step": torch.tensor(10.0), "exp_avg": exp_avg}}, "param_groups": [{"lr": 0.0005, "params": [0]}]},
        "epoch": 5,
        "args": argparse.Namespace(arch="eegdino_tiny", out_dim=128, momentum_teacher=0.996),
        "dino_loss": {"center": torch.zeros(1, 128)},
    }, "tiny.dino-multicrop.pt")

    momentum = collections.OrderedDict(("backbone." + k, v) for k, v in encoder.items())
    momentum.update(("momentum_backbone." + k, v) for k, v in copy.items())
    momentum["predictor.0.weight"] = torch.randn(dim, dim, generator=g)
    momentum["predictor.0.bias"] = torch.randn(dim, generator=g)
    momentum["center"] = torch.zeros(1, dim)
    save({"state_dict": momentum, "epoch": 1}, "tiny.momentum.pt")


if __name__ == "__main__":
    main()
