#!/usr/bin/python3
"""Replays our data-parallel test run under PyTorch's own DistributedDataParallel and compares the weights.

    dotnet artifacts/bin/QuakePrune.Tests/release/QuakePrune.Tests.dll ddp-worker single.safetensors      # one process
    for r in 0 1; do RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 \
      dotnet artifacts/bin/QuakePrune.Tests/release/QuakePrune.Tests.dll ddp-worker two.safetensors & done; wait
    /usr/bin/python3 environment/bench/ddp_reference.py two.safetensors

The worker (tests/QuakePrune.Tests/Training/DistributedWorker.cs) writes the images, rank 0's initial parameters (which
every rank starts from), the rows each rank took at each step (-1: none) and our final parameters. This script starts as
many processes as the run had (gloo, one thread each), wraps the same network (Conv2d 3->4 3x3, ReLU, global average pool,
Linear 4->2) in torch.nn.parallel.DistributedDataParallel, takes the same SGD steps and says how far our final weights
are from PyTorch's; it fails above 1e-4. Needs Debian's python3-torch (torch 1.13); nothing else.
"""
import json
import os
import socket
import struct
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = 1e-4
DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}


def load(path):
    """The tensors and metadata of a safetensors file (read by hand: the safetensors package is not needed)."""
    data = open(path, "rb").read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        raw = bytearray(data[8 + length + start:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors, header.get("__metadata__", {})


def network():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))


def rank_main(rank, world, port, path, queue):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    tensors, meta = load(path)
    model = network()
    model.load_state_dict({k[len("initial."):]: v for k, v in tensors.items() if k.startswith("initial.")})
    ddp = nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=float(meta["lr"]), momentum=float(meta["momentum"]))
    for step_rows in tensors["rows"]:
        rows = step_rows[rank][step_rows[rank] >= 0]
        optimizer.zero_grad()
        F.cross_entropy(ddp(tensors["images"][rows]), tensors["labels"][rows]).backward()
        optimizer.step()
    if rank == 0:
        # As nested lists: a tensor would travel through shared memory that is gone once this process ends.
        queue.put({name: value.tolist() for name, value in model.state_dict().items()})
    dist.destroy_process_group()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    tensors, meta = load(path)
    world = int(meta["world"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    context = mp.get_context("spawn")
    queue = context.SimpleQueue()
    mp.start_processes(rank_main, args=(world, port, path, queue), nprocs=world, start_method="spawn")
    theirs = queue.get()
    worst = 0.0
    for name, value in theirs.items():
        difference = (tensors["final." + name] - torch.tensor(value)).abs().max().item()
        worst = max(worst, difference)
        print(f"{name:10s} max |ours - DistributedDataParallel| = {difference:.3g}")
    print(f"torch {torch.__version__}, {world} processes (gloo), {len(tensors['rows'])} steps: largest difference {worst:.3g} "
          f"({'within' if worst <= TOLERANCE else 'OVER'} {TOLERANCE:g})")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    main()
