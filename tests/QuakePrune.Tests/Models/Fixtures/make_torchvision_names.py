#!/usr/bin/python3
"""Writes torchvision's resnet18/34/50 state-dict layouts (name and shape, in order) for the name tests.

Run once with Debian's python3-torchvision (0.14.1): /usr/bin/python3 make_torchvision_names.py
"""
import torch, torchvision

for arch in ("resnet18", "resnet34", "resnet50"):
    for hidden, suffix in ((0, "2classes"), (512, "hidden512")):
        model = getattr(torchvision.models, arch)(num_classes=2)
        if hidden:
            model.fc = torch.nn.Sequential(torch.nn.Linear(model.fc.in_features, hidden), torch.nn.ReLU(inplace=True),
                                           torch.nn.Dropout(0.5), torch.nn.Linear(hidden, 2))
        with open(f"torchvision_{arch}_{suffix}.txt", "w") as f:
            for name, tensor in model.state_dict().items():
                f.write(f"{name} {list(tensor.shape)}\n")
