#!/usr/bin/env bash
# Training throughput of EQTransformer: our waveform trainer's step (`quakeprune bench-train --arch eqtransformer`: the batch
# read from a synthetic subset, preprocessed and labelled, forward, EQTransformer's loss on the logits, backward, Adam)
# against SeisBench's EQTransformer under PyTorch eager (../shared/bench/eqtransformer.py train: the same batch of 3 x 6000
# windows, held in memory, the same 0.05/0.40/0.55 binary cross-entropy, Adam lr 1e-3 eps 1e-7), each on the same fixed
# threads. Sides alternate within each round (which one goes first alternates too), so load from other work hits both
# alike; prints each JSON line, then the medians over rounds and the median over rounds of each round's ratio.
# Target (issue 22): ours no slower than PyTorch; goal 1.5x. Without the reference folder only our side runs.
# Needs a built checkout (make setup).
#   environment/bench/eqt-train.sh [--rounds N] [--steps N] [--batch N] [--threads N] [--arch A] [--reference DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=3
steps=8
batch=32
threads=2
arch=eqtransformer
reference_dir="$root/../shared/bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --reference) reference_dir=$2; shift 2 ;;
    *) echo "eqt-train.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

source "$root/environment/bench/reference-packages.bash"
reference=$(reference_script eqt-train.sh "$reference_dir/eqtransformer.py" torch=python3-torch numpy=python3-numpy)
[ "$arch" = eqtransformer ] || reference=""

results=$(mktemp)
trap 'rm -f "$results"' EXIT
ours() {
  local line
  line=$("$root/quakeprune" bench-train --arch "$arch" --batch "$batch" --steps "$steps" --threads "$threads")
  echo "$line"; echo "ours $line" >>"$results"
}
theirs() {
  [ -n "$reference" ] || return 0
  local line
  # The same malloc setting as ours (torch.keep_freed_cpu_memory), so the comparison is like for like.
  line=$(MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=2147483647 \
    /usr/bin/python3 "$reference" train --batch "$batch" --threads "$threads" --runs "$steps")
  echo "$line"; echo "reference $line" >>"$results"
}
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for round in $(seq "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then ours; theirs; else theirs; ours; fi
done

/usr/bin/python3 - "$results" "$arch" "$batch" "$threads" <<'PY'
import json, statistics, sys
path, arch, batch, threads = sys.argv[1:]
ours, theirs = [], []
for line in open(path):
    side, text = line.split(" ", 1)
    (ours if side == "ours" else theirs).append(json.loads(text)["traces_per_s"])
text = f"{arch}, batch {batch}, {threads} threads, training step: ours {statistics.median(ours):.1f} traces/s"
if theirs:
    ratios = [o / t for o, t in zip(ours, theirs)]
    ratio = statistics.median(ratios)
    text += (f", SeisBench EQTransformer under PyTorch eager {statistics.median(theirs):.1f} traces/s; ours/PyTorch {ratio:.2f}x "
             f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}) [{'met' if ratio >= 1 else 'NOT met'}: no slower; goal 1.5x]")
print(text)
PY
