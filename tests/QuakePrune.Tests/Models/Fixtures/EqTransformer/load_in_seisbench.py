#!/usr/bin/python3
"""Loads a QuakePrune eqtransformer checkpoint strictly into SeisBench's EQTransformer (default arguments) and prints its
parameter count and the peaks of its three curves on a fixed input. Not run by the tests (they never run Python, nor read
/work/shared); a check by hand, with the reference runner that builds SeisBench's model (see NOTICE.md):

    ./quakeprune model init --arch eqtransformer --seed 1 --out /tmp/eqt.safetensors
    /usr/bin/python3 load_in_seisbench.py /tmp/eqt.safetensors /work/shared/bench
"""
import json, os, sys
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from safetensors_reader import read_safetensors

path, bench = sys.argv[1], sys.argv[2]
sys.path.insert(0, bench)
import eqtransformer  # the reference runner: SeisBench's model file with the rest of SeisBench stubbed out

state, meta = read_safetensors(path)
model = eqtransformer.build()
model.load_state_dict(state, strict=True)
model.eval()
print("strict load ok;", len(state), "tensors,", sum(p.numel() for p in model.parameters()), "parameters; architecture",
      json.loads(meta["architecture"])["builder"])
x = torch.sin(torch.arange(3 * 6000, dtype=torch.float32) * 0.37).reshape(1, 3, 6000)
with torch.no_grad():
    for name, curve in zip(["detection", "p", "s"], model(x)):
        print(name, "max", float(curve.max()), "mean", float(curve.mean()))
