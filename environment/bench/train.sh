#!/usr/bin/env bash
# Training throughput of our trainer against PyTorch eager on the same machine, in one run: ResNet50 (Linear head),
# batch 32, SGD momentum 0.9, at 3x64x64 and 3x224x224. Sides alternate (ours, reference, ours, reference ...) so
# that load from other work on the machine hits both alike. Prints each JSON line, then images/s and ratios.
# The reference is ../shared/bench/reference.py (skipped with a message where the checkout has no shared folder).
# Needs a built checkout (make setup).
#   environment/bench/train.sh [--threads N] [--steps N] [--rounds N] [--sizes "64 224"] [--nproc P [--sync-bn]]
# --nproc P: data-parallel instead of PyTorch: one process of N threads against P processes of N/P threads each
# (`bench-train --nproc P`, gloo on localhost), the same global batch 32; prints images/s of both and the share of a
# step that rank 0 spends all-reducing gradients (waits for the slower rank included). --sync-bn adds the P processes
# with batch norm synchronised (an all-reduce per batch norm in the forward pass and one in the backward), to price it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
threads=2
steps=6
rounds=1
sizes="64 224"
nproc=1
sync_bn=0
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --nproc) nproc=$2; shift 2 ;;
    --sync-bn) sync_bn=1; shift ;;
    *) echo "train.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$nproc" -gt 1 ]; then
  # Rank 0's line of `bench-train --nproc` at size $1, the cores shared among the processes; more options after it.
  ranks() {
    local size=$1; shift
    "$root/quakeprune" bench-train --size "${size}x${size}" --batch 32 --steps "$steps" \
      --threads $((threads / nproc > 0 ? threads / nproc : 1)) --nproc "$nproc" "$@" | sed -n 's/^\[rank 0\] //p'
  }
  results=$(mktemp)
  trap 'rm -f "$results"' EXIT
  for round in $(seq "$rounds"); do
    for s in $sizes; do
      line=$("$root/quakeprune" bench-train --size "${s}x${s}" --batch 32 --steps "$steps" --threads "$threads")
      echo "$line"; echo "one $s $line" >>"$results"
      line=$(ranks "$s")
      echo "$line"; echo "ddp $s $line" >>"$results"
      if [ "$sync_bn" = 1 ]; then
        line=$(ranks "$s" --sync-bn)
        echo "$line"; echo "sync $s $line" >>"$results"
      fi
    done
  done
  /usr/bin/python3 - "$results" "$threads" "$nproc" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    side, size, text = line.split(" ", 2)
    runs.setdefault((side, size), []).append(json.loads(text))
threads, nproc = int(sys.argv[2]), int(sys.argv[3])
for size in sorted({s for _, s in runs}, key=int):
    one = statistics.median(r["images_per_s"] for r in runs[("one", size)])
    ddp = statistics.median(r["images_per_s"] for r in runs[("ddp", size)])
    share = statistics.median(r["allreduce_share"] for r in runs[("ddp", size)])
    print(f"3x{size}x{size}, batch 32: 1 process x {threads} threads {one:.2f} images/s; {nproc} processes x {max(threads // nproc, 1)} thread(s) "
          f"{ddp:.2f} images/s ({ddp / one:.2f}x); all-reduce {100 * share:.0f}% of a step")
    if ("sync", size) in runs:
        sync = statistics.median(r["images_per_s"] for r in runs[("sync", size)])
        print(f"3x{size}x{size}, batch 32: {nproc} processes with --sync-bn {sync:.2f} images/s ({sync / ddp:.2f}x without it)")
PY
  exit 0
fi

reference="$root/../shared/bench/reference.py"
[ -f "$reference" ] || reference="$root/shared/bench/reference.py"
source "$root/environment/bench/reference-packages.bash"
reference=$(reference_script train.sh "$reference" torch=python3-torch numpy=python3-numpy)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  for s in $sizes; do
    line=$("$root/quakeprune" bench-train --size "${s}x${s}" --batch 32 --steps "$steps" --threads "$threads")
    echo "$line"; echo "ours $s $line" >>"$results"
    if [ -n "$reference" ]; then
      # The same malloc setting as ours (torch.keep_freed_cpu_memory), so the comparison is like for like.
      line=$(MALLOC_MMAP_THRESHOLD_=2147483647 MALLOC_TRIM_THRESHOLD_=2147483647 \
        /usr/bin/python3 "$reference" train --size "$s" "$s" --batch 32 --steps "$steps" --threads "$threads")
      echo "$line"; echo "reference $s $line" >>"$results"
    fi
  done
done

/usr/bin/python3 - "$results" <<'PY'
import json, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    side, size, text = line.split(" ", 2)
    rates.setdefault((side, size), []).append(json.loads(text)["images_per_s"])
for size in sorted({s for _, s in rates}, key=int):
    ours = statistics.median(rates[("ours", size)])
    text = f"3x{size}x{size}, batch 32: ours {ours:.2f} images/s"
    if ("reference", size) in rates:
        ref = statistics.median(rates[("reference", size)])
        text += f", pytorch eager {ref:.2f} images/s, ours/pytorch {ours / ref:.2f}"
    print(text)
PY
