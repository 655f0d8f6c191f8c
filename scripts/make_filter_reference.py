#!/usr/bin/python3
"""Writes the filter and re-referencing fixtures of EegDino.ML (run with Debian's python3-mne 1.3, scipy 1.10):

  test/EegDino.ML.Tests/TestData/eeg/reference/filters_160.safetensors  S001R01.edf (eegmmidb, 160 Hz)
  test/EegDino.ML.Tests/TestData/eeg/reference/filters_500.safetensors  Subject00_2.edf (eegmat, 500 Hz)

Each file holds, per case, MNE's output for a few channels (float32, microvolts, [channels, samples]),
the FIR coefficients MNE designed (float64, from mne.filter.create_filter) and, in the metadata
entry "cases" (JSON), what was done, on which samples, and the measured response of each filter.
The cases run MNE's own Raw methods with their defaults (FIR, firwin, Hamming, zero phase, 'auto'
lengths and transition bandwidths, reflect_limited padding): raw.filter, raw.notch_filter,
raw.set_eeg_reference('average').

MNE is an independent implementation: it is used only to produce these files, never by the test run.
Usage: /usr/bin/python3 scripts/make_filter_reference.py   (from the repository root)
"""
import json
import os
import struct

import mne
import numpy as np
from scipy.optimize import brentq
from scipy.signal import freqz

DATA = "test/EegDino.ML.Tests/TestData/eeg"
REF = os.path.join(DATA, "reference")

# The 19 electrodes of the model's default montage, as MNE names them in each file.
MONTAGE_500 = ["Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
               "T3", "T4", "T5", "T6", "Fz", "Cz", "Pz"]


def read(name):
    # Types from the labels ('EEG Fp1' is EEG named Fp1, 'ECG ECG' is ECG): what the average reference uses.
    return mne.io.read_raw_edf(os.path.join(DATA, name), preload=True, verbose="error", infer_types=True)


def auto_low_transition(l_freq):
    return min(max(0.25 * l_freq, 2.0), l_freq)


def auto_high_transition(h_freq, sfreq):
    return min(max(0.25 * h_freq, 2.0), sfreq / 2.0 - h_freq)


def bands_of(step, sfreq):
    """Pass and stop bands (Hz) and the transition bands holding a -6 dB point, as MNE designs them."""
    nyq = sfreq / 2.0
    if step["op"] == "filter":
        l, h = step.get("l_freq"), step.get("h_freq")
        lt = step.get("l_trans_bandwidth") or (auto_low_transition(l) if l else None)
        ht = step.get("h_trans_bandwidth") or (auto_high_transition(h, sfreq) if h else None)
        passband = [[l or 0.0, h or nyq]]
        stop, transitions = [], []
        if l:
            if l - lt > 0:
                stop.append([0.0, l - lt])
            transitions.append([l - lt, l])
        if h:
            if h + ht < nyq:
                stop.append([h + ht, nyq])
            transitions.append([h, h + ht])
        return passband, stop, transitions
    if step["op"] == "bandstop":
        lo, hi = step["low"], step["high"]
        tlo, thi = auto_low_transition(lo), auto_high_transition(hi, sfreq)
        return [[0.0, lo], [hi, nyq]], [[lo + tlo, hi - thi]], [[lo, lo + tlo], [hi - thi, hi]]
    if step["op"] == "notch":
        passband, stop, transitions, edge = [], [], [], 0.0
        for f in step["freqs"]:
            w = f / 200.0
            passband.append([edge, f - w / 2 - 0.5])
            stop.append([f - w / 2, f + w / 2])
            transitions += [[f - w / 2 - 0.5, f - w / 2], [f + w / 2, f + w / 2 + 0.5]]
            edge = f + w / 2 + 0.5
        passband.append([edge, nyq])
        return passband, stop, transitions
    raise ValueError(step)


def kernel_of(step, sfreq):
    """The coefficients raw.filter / raw.notch_filter apply, from MNE's create_filter."""
    if step["op"] == "filter":
        return mne.filter.create_filter(
            None, sfreq, step.get("l_freq"), step.get("h_freq"),
            l_trans_bandwidth=step.get("l_trans_bandwidth") or "auto",
            h_trans_bandwidth=step.get("h_trans_bandwidth") or "auto", verbose="error")
    if step["op"] == "bandstop":
        return mne.filter.create_filter(None, sfreq, step["high"], step["low"], verbose="error")
    if step["op"] == "notch":
        # notch_filter's own construction: stop bands of freq/200 Hz, 1 Hz transitions (0.5 each side).
        freqs = np.asarray(step["freqs"], float)
        widths = freqs / 200.0
        lows = freqs - widths / 2.0 - 0.5
        highs = freqs + widths / 2.0 + 0.5
        return mne.filter.create_filter(None, sfreq, highs, lows, l_trans_bandwidth=0.5,
                                        h_trans_bandwidth=0.5, verbose="error")
    raise ValueError(step)


def response(h, step, sfreq):
    """Pass-band ripple, stop-band attenuation and the -6 dB frequencies of a kernel (zero-phase amplitude)."""
    passband, stop, transitions = bands_of(step, sfreq)
    grid = np.linspace(0, sfreq / 2.0, 40001)

    def amplitude(f):
        _, r = freqz(h, worN=np.atleast_1d(f), fs=sfreq)
        return np.abs(r)

    a = amplitude(grid)
    in_pass = np.zeros_like(grid, bool)
    for lo, hi in passband:
        in_pass |= (grid >= lo) & (grid <= hi)
    in_stop = np.zeros_like(grid, bool)
    for lo, hi in stop:
        in_stop |= (grid >= lo) & (grid <= hi)
    ripple = float(np.max(np.abs(20 * np.log10(a[in_pass]))))
    attenuation = float(-20 * np.log10(np.max(a[in_stop]))) if in_stop.any() else None
    minus6 = [float(brentq(lambda f: amplitude(f)[0] - 0.5, lo, hi, xtol=1e-12)) for lo, hi in transitions]
    return {"passband_hz": passband, "stopband_hz": stop, "passband_ripple_db": ripple,
            "stopband_attenuation_db": attenuation, "minus6db_hz": minus6, "grid_points": len(grid)}


def apply(raw, step):
    if step["op"] == "filter":
        raw.filter(step.get("l_freq"), step.get("h_freq"),
                   l_trans_bandwidth=step.get("l_trans_bandwidth") or "auto",
                   h_trans_bandwidth=step.get("h_trans_bandwidth") or "auto", verbose="error")
    elif step["op"] == "bandstop":
        raw.filter(step["high"], step["low"], verbose="error")  # MNE: l_freq > h_freq is a band-stop
    elif step["op"] == "notch":
        raw.notch_filter(step["freqs"], verbose="error")
    elif step["op"] == "reference":
        if step["channels"] == "montage":
            raw.pick(step["montage"])
        raw.set_eeg_reference("average", projection=False, verbose="error")
    else:
        raise ValueError(step)


def run_case(case, sfreq_expected, tensors):
    raw = read(case["file"])
    sfreq = raw.info["sfreq"]
    assert sfreq == sfreq_expected
    if case.get("input_samples"):
        raw.crop(0, (case["input_samples"] - 1) / sfreq)
        assert raw.n_times == case["input_samples"]
    reference_first = any(s["op"] == "reference" for s in case["steps"])
    if not reference_first:
        raw.pick(case["channels"])  # filters act on each channel alone
    kernels = []
    for k, step in enumerate(case["steps"]):
        apply(raw, step)
        if step["op"] != "reference":
            h = kernel_of(step, sfreq)
            name = f"{case['name']}/kernel{k}"
            tensors[name] = ("F64", h.astype(np.float64))
            kernels.append({"tensor": name, "length": int(len(h)), "response": response(h, step, sfreq)})
    out = raw.get_data(picks=case["channels"]) * 1e6
    stored = case.get("stored_samples") or out.shape[1]
    tensors[f"{case['name']}/output"] = ("F32", out[:, :stored].astype(np.float32))
    case = dict(case, n_times=int(raw.n_times), stored_samples=int(stored), sfreq=sfreq, kernels=kernels)
    print(f"{case['name']}: {raw.n_times} samples at {sfreq} Hz, kernels {[k['length'] for k in kernels]}")
    return case


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, (dtype, array) in tensors.items():
        data = np.ascontiguousarray(array).astype("<f8" if dtype == "F64" else "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(path, os.path.getsize(path), "bytes")


def cases_160():
    f, ch = "S001R01.edf", ["Fp1.", "O1.."]
    crop = 4800  # 30 s: the longest kernel here is 1057 samples (6.6 s)
    return [
        {"name": "bandpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "l_freq": 1.0, "h_freq": 40.0}]},
        {"name": "bandpass_transitions", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "l_freq": 1.0, "h_freq": 40.0, "l_trans_bandwidth": 0.5, "h_trans_bandwidth": 5.0}]},
        {"name": "highpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "l_freq": 0.5}]},
        {"name": "lowpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "h_freq": 30.0}]},
        {"name": "notch", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "notch", "freqs": [60.0]}]},
        {"name": "bandstop", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "bandstop", "low": 6.0, "high": 15.0}]},
        # Through the loader: the whole recording, referenced over its 64 EEG channels, then band-passed.
        {"name": "average_bandpass", "file": f, "channels": ch,
         "steps": [{"op": "reference", "channels": "all"}, {"op": "filter", "l_freq": 0.5, "h_freq": 40.0}]},
        {"name": "average", "file": f, "channels": ch, "stored_samples": 1600,
         "steps": [{"op": "reference", "channels": "all"}]},
    ]


def cases_500():
    f, ch = "Subject00_2.edf", ["Fp1", "O1"]
    crop = 10000  # 20 s: the longest kernel here is 3301 samples (6.6 s)
    harmonics = [50.0, 100.0, 150.0, 200.0]
    return [
        {"name": "bandpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "l_freq": 0.5, "h_freq": 40.0}]},
        {"name": "highpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "l_freq": 1.0}]},
        {"name": "lowpass", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "filter", "h_freq": 45.0}]},
        {"name": "notch", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "notch", "freqs": [50.0]}]},
        {"name": "notch_harmonics", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "notch", "freqs": harmonics}]},
        {"name": "bandstop", "file": f, "channels": ch, "input_samples": crop,
         "steps": [{"op": "bandstop", "low": 6.0, "high": 15.0}]},
        # The acceptance case, whole recording: raw.notch_filter(50) then raw.filter(0.5, 40).
        {"name": "notch_then_bandpass", "file": f, "channels": ch,
         "steps": [{"op": "notch", "freqs": [50.0]}, {"op": "filter", "l_freq": 0.5, "h_freq": 40.0}]},
        # The average is over the 20 signals typed EEG (A2-A1 included), not over ECG.
        {"name": "average", "file": f, "channels": ch, "stored_samples": 5000,
         "steps": [{"op": "reference", "channels": "all"}]},
        {"name": "montage_average", "file": f, "channels": ch, "stored_samples": 5000,
         "steps": [{"op": "reference", "channels": "montage", "montage": MONTAGE_500}]},
    ]


def main():
    os.makedirs(REF, exist_ok=True)
    for rate, cases in ((160.0, cases_160()), (500.0, cases_500())):
        tensors = {}
        done = [run_case(c, rate, tensors) for c in cases]
        meta = {"cases": json.dumps(done), "generator": f"mne {mne.__version__}, numpy {np.__version__}, scripts/make_filter_reference.py"}
        write_safetensors(os.path.join(REF, f"filters_{int(rate)}.safetensors"), tensors, meta)


if __name__ == "__main__":
    main()
