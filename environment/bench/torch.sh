#!/usr/bin/env bash
# Benchmarks the libtorch bindings against PyTorch on the same machine, in one run:
#  (a) a conv-heavy training step (3 conv-bn-relu layers, batch 32, 3x64x96, cross entropy, SGD momentum),
#  (b) the per-call overhead of tiny ops on 1-element tensors (target: under 2 us a call),
#  (c) EQTransformer's recurrent layer: a bidirectional LSTM (and GRU) 64 -> 16 over 47 steps, forward under
#      inference_mode, at batch 1 and 64 (target: a ratio near 1, since both make the same single libtorch call).
# Both sides use 2 threads. Each side runs twice: with glibc malloc as it comes, and keeping freed memory
# (ours: torch.keep_freed_cpu_memory(); Python: the same two mallopt settings through MALLOC_*_ environment
# variables), so the comparison is like for like. Prints each run's JSON, then the ratios.
# Needs a built checkout (make setup).
#   environment/bench/torch.sh [--threads N] [--steps N]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
threads=2
steps=10
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) echo "torch.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# The reference side: Debian's PyTorch under the system Python.
source "$root/environment/bench/reference-packages.bash"
reference_packages torch=python3-torch

ours=$("$root/quakeprune" bench-ops --threads "$threads" --steps "$steps")
ours_default=$("$root/quakeprune" bench-ops --threads "$threads" --steps "$steps" --malloc-default)
python_side() {
  THREADS=$threads STEPS=$steps "$@" /usr/bin/python3 - <<'PY'
import json, os, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F
threads, steps = int(os.environ["THREADS"]), int(os.environ["STEPS"])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True), nn.MaxPool2d(2),
    nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(32, 3, 64, 96)
y = torch.randint(0, 2, (32,))
times = []
for k in range(steps + 2):
    t = time.perf_counter()
    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    opt.step()
    if k >= 2:
        times.append((time.perf_counter() - t) * 1e3)

def per_call(fn, calls=20000):
    for _ in range(calls):
        fn()
    blocks = []
    for _ in range(20):
        t = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        blocks.append((time.perf_counter_ns() - t) / calls)
    return round(statistics.median(blocks), 1)

a, b = torch.ones(1), torch.ones(1)
torch.manual_seed(0)
lstm, gru = nn.LSTM(64, 16, bidirectional=True), nn.GRU(64, 16, bidirectional=True)
recurrent = {}
with torch.inference_mode():
    for batch, calls in ((1, 200), (64, 20)):
        x = torch.randn(47, batch, 64)
        recurrent[f"bilstm_64_16_47_steps_batch_{batch}"] = round(per_call(lambda: lstm(x), calls) / 1000, 1)
        recurrent[f"bigru_64_16_47_steps_batch_{batch}"] = round(per_call(lambda: gru(x), calls) / 1000, 1)
print(json.dumps({
    "implementation": "PyTorch (Python)", "libtorch": torch.__version__, "threads": torch.get_num_threads(),
    "malloc": "keep freed memory" if os.environ.get("MALLOC_MMAP_THRESHOLD_") else "glibc default",
    "train_step": {"median_ms": statistics.median(times), "min_ms": min(times)},
    "per_call_ns": {"add_out_of_place_1_element": per_call(lambda: a + b),
                    "add_in_place_1_element": per_call(lambda: a.add_(b)),
                    "dim_query": per_call(lambda: a.dim())},
    "recurrent_forward_us": recurrent,
}, indent=2))
PY
}
theirs=$(python_side env)
theirs_keep=$(python_side env MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=2147483647)
for run in "$ours" "$ours_default" "$theirs" "$theirs_keep"; do echo "$run"; done
OURS=$ours OURS_DEFAULT=$ours_default THEIRS=$theirs THEIRS_KEEP=$theirs_keep /usr/bin/python3 - <<'PY'
import json, os
o, od, t, tk = (json.loads(os.environ[k]) for k in ("OURS", "OURS_DEFAULT", "THEIRS", "THEIRS_KEEP"))
step = lambda a, b: {k: round(a["train_step"][k] / b["train_step"][k], 3) for k in ("median_ms", "min_ms")}
print(json.dumps({
    "train_step_ratio_ours_over_pytorch_as_shipped": step(o, t),
    "train_step_ratio_ours_over_pytorch_both_keep_freed_memory": step(o, tk),
    "train_step_ratio_ours_over_pytorch_both_glibc_default": step(od, t),
    "per_call_ratio_ours_over_pytorch": {k: round(o["per_call_ns"][k] / t["per_call_ns"][k], 3) for k in o["per_call_ns"]},
    "per_call_under_2us": all(v < 2000 for v in o["per_call_ns"].values()),
    "recurrent_ratio_ours_over_pytorch": {k: round(o["recurrent_forward_us"][k] / t["recurrent_forward_us"][k], 3)
                                          for k in o["recurrent_forward_us"]},
}, indent=2))
PY
