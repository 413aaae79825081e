#!/usr/bin/python3
"""Writes the reference arrays the Spectrograms tests compare against.

Run once with Debian's python3-scipy and python3-torch:  /usr/bin/python3 make_fixtures.py
It writes into the directory holding this script; the tests read the outputs and never run Python.
Arrays are little-endian .bin files (float32 '<f4' or float64 '<f8'); fixtures.json describes them.
"""
import json
import os

import numpy as np
import torch
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
FS = 100.0
N = 6000


def save(name, array, dtype):
    np.asarray(array, dtype=dtype).tofile(os.path.join(HERE, name))
    return {"file": name, "dtype": np.dtype(dtype).str, "shape": list(np.shape(array))}


def make_traces():
    """Two (6000, 3) float32 traces, samples first, columns E, N, Z, like STEAD."""
    rng = np.random.RandomState(4)
    t = np.arange(N) / FS
    burst = np.where(t > 20, np.exp(-(t - 20) / 4.0), 0.0) * np.sin(2 * np.pi * 7.0 * t)
    a = np.stack([
        3.0 * np.sin(2 * np.pi * 12.5 * t) + 0.5 * rng.standard_normal(N),
        2.0 * signal.chirp(t, f0=1.0, t1=60.0, f1=40.0) + 100.0 + 0.8 * t,
        rng.standard_normal(N) + 40.0 * burst,
    ], axis=1)
    b = np.stack([
        1500.0 * np.sin(2 * np.pi * 5.0 * t + 0.3) + 200.0 * rng.standard_normal(N),
        np.cumsum(rng.standard_normal(N)) * 30.0,
        np.zeros(N),
    ], axis=1)
    return {"quake_like": a.astype(np.float32), "counts_with_flat_z": b.astype(np.float32)}


def spectrogram_db(trace, nperseg, noverlap, nfft):
    x = trace.astype(np.float64).T
    _, _, s = signal.spectrogram(x, fs=FS, window="hann", nperseg=nperseg, noverlap=noverlap, nfft=nfft)
    return 10 * np.log10(s + 1e-10)


def main():
    manifest = {"traces": {}, "spectrograms": [], "butter": [], "sosfiltfilt": [], "tukey": [], "resize": [], "images": []}
    traces = make_traces()
    for name, tr in traces.items():
        manifest["traces"][name] = save(f"trace_{name}.bin", tr, "<f4")

    # scipy.signal.spectrogram in float64 (window 'hann' is periodic; detrend 'constant'; density; one-sided).
    for nperseg, noverlap, nfft in [(256, 192, None), (200, 100, 256), (128, 0, 200)]:
        for name, tr in traces.items():
            if name != "quake_like" and nperseg != 256:
                continue
            db = spectrogram_db(tr, nperseg, noverlap, nfft)
            tag = f"{name}_{nperseg}_{noverlap}_{nfft or nperseg}"
            entry = save(f"spec_{tag}.bin", db, "<f4")
            entry.update({"trace": name, "nperseg": nperseg, "noverlap": noverlap, "nfft": nfft or nperseg})
            manifest["spectrograms"].append(entry)

    for order, lo, hi, fs in [(4, 1.0, 45.0, 100.0), (3, 1.0, 45.0, 100.0), (2, 0.5, 5.0, 100.0), (5, 2.0, 8.0, 40.0)]:
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
        manifest["butter"].append({"order": order, "low": lo, "high": hi, "fs": fs, "sos": sos.tolist()})

    # Zero-phase filtering with scipy's default odd padding and steady-state initial conditions.
    for order, lo, hi in [(4, 1.0, 45.0), (2, 0.5, 5.0)]:
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=FS, output="sos")
        x = traces["quake_like"][:, 1].astype(np.float64)
        y = signal.sosfiltfilt(sos, x)
        entry = save(f"sosfiltfilt_{order}_{lo}_{hi}.bin", y, "<f8")
        entry.update({"trace": "quake_like", "channel": 1, "order": order, "low": lo, "high": hi})
        manifest["sosfiltfilt"].append(entry)

    for m, alpha in [(11, 0.5), (300, 0.1), (7, 1.0), (5, 0.0)]:
        manifest["tukey"].append({"m": m, "alpha": alpha, "file": save(f"tukey_{m}_{alpha}.bin", signal.windows.tukey(m, alpha), "<f8")["file"]})

    # torch bilinear resize, align_corners=False: up, down and mixed.
    rng = np.random.RandomState(7)
    src = rng.standard_normal((2, 13, 11)).astype(np.float32)
    manifest["resize_source"] = save("resize_source.bin", src, "<f4")
    for h, w in [(20, 17), (5, 4), (13, 23), (1, 1)]:
        out = torch.nn.functional.interpolate(torch.from_numpy(src)[None], size=(h, w), mode="bilinear", align_corners=False)[0]
        entry = save(f"resize_{h}x{w}.bin", out.numpy(), "<f4")
        entry.update({"height": h, "width": w})
        manifest["resize"].append(entry)

    # The whole image path, written out step by step: demean, linear detrend, Tukey taper, zero-phase
    # band-pass, spectrogram in dB, bilinear resize, then z-score per channel (population std) or min-max.
    for norm in ["zscore", "minmax"]:
        tr = traces["quake_like"].astype(np.float64).T
        x = tr - tr.mean(axis=1, keepdims=True)
        x = signal.detrend(x, axis=1, type="linear")
        x = x * signal.windows.tukey(N, 0.1)
        x = signal.sosfiltfilt(signal.butter(4, [1.0, 45.0], btype="bandpass", fs=FS, output="sos"), x, axis=1)
        _, _, s = signal.spectrogram(x, fs=FS, window="hann", nperseg=256, noverlap=192)
        db = 10 * np.log10(s + 1e-10)
        img = torch.nn.functional.interpolate(torch.from_numpy(db)[None], size=(64, 96), mode="bilinear", align_corners=False)[0].numpy()
        if norm == "zscore":
            img = (img - img.mean(axis=(1, 2), keepdims=True)) / img.std(axis=(1, 2), keepdims=True)
        else:
            img = (np.clip(img, -10.0, 25.0) + 10.0) / 35.0
        entry = save(f"image_quake_like_{norm}.bin", img, "<f4")
        entry.update({"trace": "quake_like", "normalize": norm, "height": 64, "width": 96, "taper": 0.1,
                      "order": 4, "low": 1.0, "high": 45.0, "minDb": -10.0, "maxDb": 25.0})
        manifest["images"].append(entry)

    with open(os.path.join(HERE, "fixtures.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
