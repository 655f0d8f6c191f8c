#!/usr/bin/python3
"""Writes the EEG-input test fixtures of EegDino.ML (run with Debian's python3-mne 1.3, scipy 1.10):

  test/EegDino.ML.Tests/TestData/eeg/reference/*.json  MNE-decoded samples of the committed EDF files
  test/EegDino.ML.Tests/TestData/eeg/synthetic_bdf.bdf  a small BDF written here from known values
  test/EegDino.ML.Tests/TestData/eeg/reference/synthetic_bdf.json  its expected values, cross-checked by MNE

MNE is an independent decoder: it is used only to produce these files, never by the test run.
Usage: /usr/bin/python3 scripts/make_eeg_reference.py   (from the repository root)
"""
import json
import os

import mne
import numpy as np

OUT = "test/EegDino.ML.Tests/TestData/eeg"
REF = os.path.join(OUT, "reference")
os.makedirs(REF, exist_ok=True)


def pick_indices(n, rng):
    fixed = [0, 1, 2, 100, n // 2, n - 2, n - 1]
    return sorted(set(int(i) for i in fixed + rng.integers(0, n, 40).tolist()))


def edf_reference(name):
    raw = mne.io.read_raw_edf(os.path.join(OUT, name), preload=True, verbose="error")
    data = raw.get_data() * 1e6  # MNE gives volts; the reader gives microvolts
    rng = np.random.default_rng(1234)
    idx = pick_indices(raw.n_times, rng)
    ref = {
        "file": name,
        "decoder": f"mne {mne.__version__} read_raw_edf",
        "sfreq": raw.info["sfreq"],
        "n_times": int(raw.n_times),
        "channels": raw.ch_names,
        "indices": idx,
        "microvolts": [[float(v) for v in data[c, idx]] for c in range(data.shape[0])],
        "sum": [float(v) for v in data.sum(axis=1)],
        "sum_of_squares": [float(v) for v in (data * data).sum(axis=1)],
        "annotations": [[float(a["onset"]), float(a["duration"]), a["description"]] for a in raw.annotations],
    }
    with open(os.path.join(REF, name.replace(".edf", ".json")), "w") as f:
        json.dump(ref, f, indent=1)
    print(name, raw.n_times, raw.info["sfreq"], len(raw.ch_names), "channels")


def field(text, width):
    b = str(text).encode("ascii")
    assert len(b) <= width, (text, width)
    return b + b" " * (width - len(b))


def write_bdf():
    """A plain 24-bit BDF: 3 records of 1 s, channels of 256 and 128 samples per record, units
    uV / mV / V, digital values spanning the whole 24-bit range (negative values included)."""
    rng = np.random.default_rng(42)
    records, duration = 3, 1
    sig = [
        # label, dim, pmin, pmax, dmin, dmax, samples per record
        ("Fp1", "uV", -262144.0, 262143.0, -8388608, 8388607, 256),
        ("Cz", "mV", -100.0, 100.0, -8388608, 8388607, 256),
        ("O2", "V", -0.5, 0.25, -1000000, 2000000, 256),
        ("Slow", "uV", -3000.0, 3000.0, -300000, 300000, 128),
    ]
    digital = []
    for (_, _, _, _, dmin, dmax, spr) in sig:
        n = records * spr
        t = np.arange(n)
        d = (dmin + dmax) / 2 + (dmax - dmin) / 2 * 0.9 * np.sin(2 * np.pi * 7 * t / spr)
        d = np.round(d + rng.integers(-1000, 1000, n)).astype(np.int64)
        d[0], d[1], d[2] = dmin, dmax, 0
        d[3] = -1
        digital.append(np.clip(d, dmin, dmax))
    ns = len(sig)
    h = bytearray()
    h += b"\xffBIOSEMI"
    h += field("X X X synthetic", 80) + field("Startdate 01-JAN-2020 X EegDino.ML test fixture", 80)
    h += field("01.01.20", 8) + field("12.00.00", 8) + field(256 * (ns + 1), 8)
    h += field("24BIT", 44) + field(records, 8) + field(duration, 8) + field(ns, 4)
    cols = [
        [field(s[0], 16) for s in sig], [field("AgAgCl electrode", 80) for s in sig],
        [field(s[1], 8) for s in sig], [field(repr(s[2]) if s[2] != int(s[2]) else int(s[2]), 8) for s in sig],
        [field(repr(s[3]) if s[3] != int(s[3]) else int(s[3]), 8) for s in sig],
        [field(s[4], 8) for s in sig], [field(s[5], 8) for s in sig],
        [field("HP:0.1Hz LP:100Hz", 80) for s in sig], [field(s[6], 8) for s in sig], [field("", 32) for s in sig],
    ]
    for c in cols:
        for v in c:
            h += v
    assert len(h) == 256 * (ns + 1)
    body = bytearray()
    for r in range(records):
        for k, s in enumerate(sig):
            spr = s[6]
            for v in digital[k][r * spr:(r + 1) * spr]:
                body += int(v).to_bytes(3, "little", signed=True)
    path = os.path.join(OUT, "synthetic_bdf.bdf")
    with open(path, "wb") as f:
        f.write(h + body)

    # Expected values from the EDF formula, in microvolts.
    factor = {"uV": 1.0, "mV": 1e3, "V": 1e6}
    expected = []
    for k, s in enumerate(sig):
        gain = (s[3] - s[2]) / (s[5] - s[4])
        offset = s[2] - gain * s[4]
        expected.append(((digital[k] * gain + offset) * factor[s[1]]).tolist())
    # Cross-check with MNE on the channels at the full rate (MNE resamples slower channels).
    raw = mne.io.read_raw_bdf(path, preload=True, verbose="error")
    for k in range(3):
        got = raw.get_data(picks=[k])[0] * 1e6
        err = np.max(np.abs(got - expected[k]) / np.maximum(1e-12, np.abs(np.array(expected[k]))))
        assert np.allclose(got, expected[k], rtol=1e-9, atol=1e-9 * max(abs(x) for x in expected[k])), (k, err)
    ref = {
        "file": "synthetic_bdf.bdf",
        "decoder": f"EDF formula in this script; channels 0-2 agree with mne {mne.__version__} read_raw_bdf to 1e-9",
        "labels": [s[0] for s in sig],
        "units": [s[1] for s in sig],
        "samples_per_record": [s[6] for s in sig],
        "records": records,
        "digital": [d.tolist() for d in digital],
        "microvolts": expected,
    }
    with open(os.path.join(REF, "synthetic_bdf.json"), "w") as f:
        json.dump(ref, f)
    print("synthetic_bdf.bdf", len(h) + len(body), "bytes; MNE agrees")


if __name__ == "__main__":
    for name in ["S001R01.edf", "S001R02.edf", "Subject00_2.edf"]:
        edf_reference(name)
    write_bdf()
