#!/usr/bin/python3
"""Writes torchvision's resnet50 state-dict layout (name and shape, in order) for the name tests.

Run once with Debian's python3-torchvision: /usr/bin/python3 make_torchvision_names.py
"""
import torch, torchvision

for hidden, path in ((0, "torchvision_resnet50_2classes.txt"), (512, "torchvision_resnet50_hidden512.txt")):
    model = torchvision.models.resnet50(num_classes=2)
    if hidden:
        model.fc = torch.nn.Sequential(torch.nn.Linear(2048, hidden), torch.nn.ReLU(inplace=True),
                                       torch.nn.Dropout(0.5), torch.nn.Linear(hidden, 2))
    with open(path, "w") as f:
        for name, tensor in model.state_dict().items():
            f.write(f"{name} {list(tensor.shape)}\n")
