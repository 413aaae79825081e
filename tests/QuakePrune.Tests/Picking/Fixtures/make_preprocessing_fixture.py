#!/usr/bin/env python3
"""Writes preprocessing.safetensors: SeisBench EQTransformer's annotate_batch_pre on two random windows.

Run once, by hand, on a machine with the project's shared bench folder (not by the tests):
  /usr/bin/python3 make_preprocessing_fixture.py /work/shared/bench/eqtransformer.py
It calls `eqtransformer.py fixture --seed 0 --batch 2` (SeisBench's model file under PyTorch, default
arguments: norm "std", no detrend, no per-component amplitude norm) and keeps only `raw` (2 x 3 x 6000,
randn * 100 plus a 0..50 ramp) and `input` (the same after annotate_batch_pre), both float32.
"""
import json, os, struct, subprocess, sys, tempfile

import numpy as np


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        head = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name in ("raw", "input"):
        entry = head[name]
        assert entry["dtype"] == "F32", entry
        a, b = entry["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype="<f4").reshape(entry["shape"])
    return out


def write(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"source": "eqtransformer.py fixture --seed 0 --batch 2 (SeisBench annotate_batch_pre, norm std)"}
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def main():
    bench = sys.argv[1]
    with tempfile.TemporaryDirectory() as folder:
        full = os.path.join(folder, "full.safetensors")
        subprocess.run([sys.executable, bench, "fixture", "--seed", "0", "--batch", "2", "--out", full], check=True)
        tensors = read(full)
    write(os.path.join(os.path.dirname(os.path.abspath(__file__)), "preprocessing.safetensors"), tensors)


if __name__ == "__main__":
    main()
