#!/usr/bin/python3
"""Loads a QuakePrune checkpoint strictly into torchvision's resnetNN(num_classes=2) and prints its parameter count and its
logits on a fixed input, to compare with ours. Not run by the tests (they never run Python); a check by hand:

    ./quakeprune model init --arch resnet18 --classes 2 --hidden 0 --out /tmp/r18.safetensors
    /usr/bin/python3 load_in_torchvision.py /tmp/r18.safetensors resnet18
"""
import json, struct, sys
import numpy as np, torch, torchvision

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

path, arch = sys.argv[1], sys.argv[2]
state, meta = read_safetensors(path)
model = getattr(torchvision.models, arch)(num_classes=2)
model.load_state_dict(state, strict=True)
model.eval()
print(arch, "strict load ok;", sum(p.numel() for p in model.parameters()), "parameters")
x = torch.sin(torch.arange(3 * 64 * 64, dtype=torch.float32) * 0.37).reshape(1, 3, 64, 64)
with torch.no_grad():
    print("logits", model(x).numpy().tolist())
