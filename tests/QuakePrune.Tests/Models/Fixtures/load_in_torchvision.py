#!/usr/bin/python3
"""Loads a QuakePrune checkpoint strictly into torchvision's resnetNN(num_classes=2) and prints its parameter count and its
logits on a fixed input, to compare with ours. Not run by the tests (they never run Python); a check by hand:

    ./quakeprune model init --arch resnet18 --classes 2 --hidden 0 --out /tmp/r18.safetensors
    /usr/bin/python3 load_in_torchvision.py /tmp/r18.safetensors resnet18
"""
import sys
import torch, torchvision
from safetensors_reader import read_safetensors

path, arch = sys.argv[1], sys.argv[2]
state, meta = read_safetensors(path)
model = getattr(torchvision.models, arch)(num_classes=2)
model.load_state_dict(state, strict=True)
model.eval()
print(arch, "strict load ok;", sum(p.numel() for p in model.parameters()), "parameters")
x = torch.sin(torch.arange(3 * 64 * 64, dtype=torch.float32) * 0.37).reshape(1, 3, 64, 64)
with torch.no_grad():
    print("logits", model(x).numpy().tolist())
