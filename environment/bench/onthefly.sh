#!/usr/bin/env bash
# Whether spectrograms computed on the fly keep up with training: images/s the on-the-fly loader produces against
# images/s ResNet50 training consumes, at 3x224x224, batch 32, in one run. Needs a built checkout (make setup).
#
#   environment/bench/onthefly.sh [--threads N] [--loader-threads N] [--steps N] [--rounds N] [--traces N] [--size N]
#
# Writes a synthetic STEAD of TRACES traces (default 1200) and a subset of all of them in a temporary folder, then:
# - produced: `bench-train --subset --produce-only`: the loader's batches of the train split, shuffled as training takes
#   them, with the study's settings (standard preprocessing, z-score, SIZExSIZE, float32) on LOADER threads and nothing
#   consuming them (the median interval between batches after two);
# - consumed: `bench-train`: ResNet50 (Linear head, SGD momentum 0.9) training steps on random images in memory on N
#   libtorch threads (the median step after two);
# - on the fly: `bench-train --subset`: the same steps on the subset's spectrograms computed on the fly meanwhile (the
#   loader's threads share the cores with libtorch's).
# ROUNDS times in turn (default 1), so that load from other work on the machine hits each alike; prints each JSON line,
# then the median of each rate and produced/consumed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
threads=2
loader=$(nproc)
steps=6
rounds=1
traces=1200
size=224
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --loader-threads) loader=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --traces) traces=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    *) echo "onthefly.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
qp="$root/quakeprune"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$qp" synth --out "$work/syn" --traces "$traces" --seed 1 >/dev/null
"$qp" extract --input "$work/syn" --out "$work/subset" --earthquakes "$traces" --noise "$traces" >/dev/null 2>&1
# The produced rate over many batches: every train trace once (the loader's start-up is in the two untimed ones).
train=$(grep -c ',train$' "$work/subset/subset.csv" || true)
produce_steps=$((train / 32))

results=$work/results
for round in $(seq "$rounds"); do
  line=$("$qp" bench-train --subset "$work/subset" --produce-only --size "${size}x${size}" --batch 32 \
    --steps "$produce_steps" --loader-threads "$loader")
  echo "$line"; echo "produced $line" >>"$results"
  line=$("$qp" bench-train --size "${size}x${size}" --batch 32 --steps "$steps" --threads "$threads")
  echo "$line"; echo "consumed $line" >>"$results"
  line=$("$qp" bench-train --subset "$work/subset" --size "${size}x${size}" --batch 32 --steps "$steps" \
    --threads "$threads" --loader-threads "$loader")
  echo "$line"; echo "both $line" >>"$results"
done

/usr/bin/python3 - "$results" "$threads" "$loader" "$size" <<'PY'
import json, os, statistics, sys
rates = {}
for line in open(sys.argv[1]):
    side, text = line.split(" ", 1)
    rates.setdefault(side, []).append(json.loads(text)["images_per_s"])
produced, consumed, both = (statistics.median(rates[side]) for side in ("produced", "consumed", "both"))
threads, loader, size = sys.argv[2:5]
load = " ".join(open("/proc/loadavg").read().split()[0:3])
print(f"3x{size}x{size}, batch 32, {os.cpu_count()} cores, load average {load}, median of {len(rates['both'])} round(s):")
print(f"  produced on the fly ({loader} loader threads, nothing training): {produced:.1f} images/s")
print(f"  consumed by ResNet50 training ({threads} libtorch threads, images in memory): {consumed:.2f} images/s")
print(f"  training on the fly (both at once): {both:.2f} images/s ({both / consumed:.2f}x of in memory)")
print(f"  produced / consumed: {produced / consumed:.0f}x")
PY
