"""Reads a safetensors file (F32 and I64 tensors) into a PyTorch state dict and its metadata, for the load checks beside it."""
import json, struct
import numpy as np, torch


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "I64": np.int64}
    state = {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dtypes[v["dtype"]]).reshape(v["shape"]).copy())
             for k, v in header.items()}
    return state, meta
