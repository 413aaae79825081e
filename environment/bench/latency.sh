#!/usr/bin/env bash
# Batch latency of ResNet50 and its 90%-pruned (full scope) copy: `quakeprune bench` (our prepared fast path, our
# plain module, and ONNX Runtime on the exported model) against PyTorch eager (../shared/bench/reference.py latency) on
# the same two checkpoints.
# Rounds alternate which side goes first, so drift on a shared machine hits both alike; each round's figures, the
# median over rounds, and the median over rounds of each round's ratio (the targets' terms) are printed:
#   baseline: ours no slower than PyTorch eager; prune90: >= 10x faster than our baseline, >= 3x faster than eager;
#   both: ours no slower than ONNX Runtime (all graph optimisations, the same threads).
# Without ../shared (a user's clone) the reference side is skipped with a message.
# Needs a built checkout (make setup).
#   environment/bench/latency.sh [--rounds N] [--runs N] [--threads N] [--size H W] [--work DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=3
runs=100
threads=2
height=224
width=224
work="$root/artifacts/bench/latency"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --size) height=$2; width=$3; shift 3 ;;
    --work) work=$2; shift 2 ;;
    *) echo "latency.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

source "$root/environment/bench/reference-packages.bash"
reference=$(reference_script latency.sh "$root/../shared/bench/reference.py" torch=python3-torch numpy=python3-numpy)

mkdir -p "$work"
baseline="$work/resnet50-${height}x${width}.safetensors"
prune90="$work/prune90-${height}x${width}.safetensors"
[ -f "$baseline" ] || "$root/quakeprune" model init --arch resnet50 --size "${height}x${width}" --seed 0 --out "$baseline"
[ -f "$prune90" ] || "$root/quakeprune" prune --model "$baseline" --ratio 0.9 --scope full --out "$prune90" | tail -n 1

ours() {
  "$root/quakeprune" bench --model "$baseline" --model "$prune90" --size "${height}x${width}" --threads "$threads" \
    --runs "$runs" --interleave --engine fast,eager,onnxruntime --project gtx1050 --out "$work/ours-$1.json" >/dev/null
}
theirs() {
  [ -z "$reference" ] || /usr/bin/python3 "$reference" latency --checkpoint "$baseline" "$prune90" \
    --size "$height" "$width" --threads "$threads" --runs "$runs" >"$work/reference-$1.jsonl"
}

rm -f "$work"/ours-*.json "$work"/ours-*.csv "$work"/reference-*.jsonl
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [ $((round % 2)) -eq 1 ]; then ours "$round"; theirs "$round"; else theirs "$round"; ours "$round"; fi
done

BASELINE="$baseline" PRUNE90="$prune90" WORK="$work" ROUNDS="$rounds" /usr/bin/python3 - <<'PY'
import json, os, statistics
work, rounds = os.environ["WORK"], int(os.environ["ROUNDS"])
models = {"baseline": os.environ["BASELINE"], "prune90": os.environ["PRUNE90"]}

def medians(round):
    ours = json.load(open(f"{work}/ours-{round}.json"))
    row = {}
    for r in ours["results"]:
        name = next(k for k, path in models.items() if path == r["model"])
        row[(name, r["engine"])] = r["median_ms"]
        if r["engine"] == "fast":
            row[(name, "path")] = f"{r['path']}/{r['threads']}t"
            row[(name, "projected")] = r["projected_gtx1050_ms"]
    reference = f"{work}/reference-{round}.jsonl"
    if os.path.exists(reference):
        for line in open(reference):
            r = json.loads(line)
            row[(next(k for k, path in models.items() if path == r["model"]), "pytorch")] = r["median_ms"]
    return ours["machine"], row

rows = [medians(k) for k in range(1, rounds + 1)]
machine = rows[0][0]
print(f"{machine['cpu']}, {machine['threads']} threads, libtorch {machine['libtorch']}; batch 1, median ms per forward")
print(f"{'round':<7}{'model':<10}{'path':<15}{'ours fast':>10}{'ours eager':>11}{'ONNX RT':>10}{'ORT/fast':>9}{'PyTorch':>10}{'PyTorch/fast':>13}{'base/fast':>10}")

def line(label, row):
    for name in models:
        fast, eager, ort, torch = row[(name, "fast")], row[(name, "eager")], row[(name, "onnxruntime")], row.get((name, "pytorch"))
        versus = f"{torch / fast:12.2f}x" if torch else f"{'-':>13}"
        print(f"{label:<7}{name:<10}{row[(name, 'path')]:<15}{fast:10.2f}{eager:11.2f}{ort:10.2f}{ort / fast:8.2f}x"
              f"{(f'{torch:10.2f}' if torch else f'{chr(45):>10}')}{versus}"
              f"{row[('baseline', 'fast')] / fast:9.2f}x")

for k, (_, row) in enumerate(rows, 1):
    line(str(k), row)
keys = set.intersection(*(set(r) for _, r in rows))
median = {key: statistics.median(r[key] for _, r in rows) for key in keys if key[1] not in ("path", "projected")}
median.update({(name, "path"): "-" for name in models})
line("median", median)
print(f"projected (NOT measured) GTX 1050: baseline {rows[0][1][('baseline', 'projected')]:.2f} ms, "
      f"prune90 {rows[0][1][('prune90', 'projected')]:.2f} ms (roofline calibrated on the paper)")

def ratio(numerator, denominator):
    return statistics.median(r[numerator] / r[denominator] for _, r in rows)

def check(text, ok):
    print(f"  [{'met' if ok else 'NOT met'}] {text}")
print("targets (median over rounds of each round's ratio):")
if ("baseline", "pytorch") in median:
    speedup = ratio(("baseline", "pytorch"), ("baseline", "fast"))
    check(f"baseline no slower than PyTorch eager: PyTorch / ours = {speedup:.2f}x", speedup >= 1)
speedup = ratio(("baseline", "fast"), ("prune90", "fast"))
check(f"prune90 >= 10x faster than our baseline: {speedup:.2f}x", speedup >= 10)
if ("prune90", "pytorch") in median:
    speedup = ratio(("prune90", "pytorch"), ("prune90", "fast"))
    check(f"prune90 >= 3x faster than PyTorch eager on the same checkpoint: {speedup:.2f}x", speedup >= 3)
for name in models:
    speedup = ratio((name, "onnxruntime"), (name, "fast"))
    check(f"{name} no slower than ONNX Runtime: ONNX Runtime / ours = {speedup:.2f}x", speedup >= 1)
print(f"(machine shared: load average {machine['load_average_before']} at the first round; JSON per round in {work})")
PY
