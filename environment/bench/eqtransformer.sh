#!/usr/bin/env bash
# Forward latency of EQTransformer, its variants (eqt-gru, eqt-cnn-bilstm, eqt-lite) and a 70 %-pruned (L2, full scope)
# eqtransformer, batch 1 and 64: our prepared fast path (`quakeprune bench --engine fast`, the five models interleaved),
# ONNX Runtime on each exported model (--engine onnxruntime, all graph optimisations, the same threads), and PyTorch eager
# running SeisBench's model with the same eqtransformer weights (../shared/bench/eqtransformer.py latency).
# Rounds alternate which side goes first, so drift on a shared machine hits both alike; each round's figures, the medians
# over rounds, and the median over rounds of each round's ratio (the targets' terms) are printed. Targets:
#   our eqtransformer <= 0.6x the time of PyTorch eager at batch 1 (batch 64 reported); eqt-lite and the 70 %-pruned one
#   >= 3x faster than our eqtransformer at batch 1; ours no slower than ONNX Runtime on eqtransformer at batch 1 and 64.
# Without the reference folder (a user's clone) the PyTorch side is skipped with a message. Needs a built checkout (make setup).
#   environment/bench/eqtransformer.sh [--rounds N] [--runs N] [--threads N] [--reference DIR] [--work DIR]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=3
runs=20
threads=2
reference_dir="$root/../shared/bench"
work="$root/artifacts/bench/eqtransformer"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --reference) reference_dir=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "eqtransformer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

source "$root/environment/bench/reference-packages.bash"
reference=$(reference_script eqtransformer.sh "$reference_dir/eqtransformer.py" torch=python3-torch numpy=python3-numpy)

members=(eqtransformer eqt-gru eqt-cnn-bilstm eqt-lite eqt-prune70)
mkdir -p "$work"
models=()
for member in "${members[@]}"; do
  checkpoint="$work/$member.safetensors"
  if [ ! -f "$checkpoint" ]; then
    if [ "$member" = eqt-prune70 ]; then
      "$root/quakeprune" prune --model "$work/eqtransformer.safetensors" --ratio 0.7 --out "$checkpoint" >/dev/null
    else
      "$root/quakeprune" model init --arch "$member" --seed 0 --out "$checkpoint" >/dev/null
    fi
  fi
  models+=(--model "$checkpoint")
done

ours() {
  "$root/quakeprune" bench "${models[@]}" --batch 1,64 --interleave --engine fast,onnxruntime --threads "$threads" --runs "$runs" \
    --out "$work/ours-$1.json" >/dev/null
}
theirs() {
  [ -z "$reference" ] && return 0
  : >"$work/reference-$1.jsonl"
  for batch in 1 64; do
    /usr/bin/python3 "$reference" latency --batch "$batch" --threads "$threads" --runs "$runs" \
      --weights "$work/eqtransformer.safetensors" >>"$work/reference-$1.jsonl"
  done
}

rm -f "$work"/ours-*.json "$work"/ours-*.csv "$work"/reference-*.jsonl
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  if [ $((round % 2)) -eq 1 ]; then ours "$round"; theirs "$round"; else theirs "$round"; ours "$round"; fi
done

WORK="$work" ROUNDS="$rounds" THREADS="$threads" LOAD="$load_before" MEMBERS="${members[*]}" /usr/bin/python3 - <<'PY'
import json, os, statistics
work, rounds, members = os.environ["WORK"], int(os.environ["ROUNDS"]), os.environ["MEMBERS"].split()

def figures(round):
    row = {}
    for r in json.load(open(f"{work}/ours-{round}.json"))["results"]:
        name = os.path.basename(r["model"]).removesuffix(".safetensors")
        row[(name if r["engine"] == "fast" else f"{name}/ort", r["batch"])] = r["median_ms"]
    reference = f"{work}/reference-{round}.jsonl"
    if os.path.exists(reference):
        for line in open(reference):
            r = json.loads(line)
            row[("pytorch", r["batch"])] = r["median_ms"]
    return row

rows = [figures(k) for k in range(1, rounds + 1)]
has_reference = ("pytorch", 1) in rows[0]
print(f"EQTransformer forward, {os.environ['THREADS']} threads, median ms per forward (all three curves), {rounds} rounds")
print("columns: ours (fast path) per model; ONNX Runtime (ort) per model; PyTorch eager on SeisBench's eqtransformer")
columns = members + [f"{m}/ort" for m in members] + (["pytorch"] if has_reference else [])
print(f"{'round':<7}{'batch':>6}" + "".join(f"{c:>19}" for c in columns))

def line(label, row):
    for batch in (1, 64):
        print(f"{label:<7}{batch:>6}" + "".join(f"{row[(c, batch)]:19.2f}" for c in columns))

for k, row in enumerate(rows, 1):
    line(str(k), row)
line("median", {key: statistics.median(r[key] for r in rows) for key in rows[0]})

def ratio(numerator, denominator):
    return statistics.median(r[numerator] / r[denominator] for r in rows)

def verdict(ok):
    return "met" if ok else "NOT met"

print("median over rounds of each round's ratio:")
for batch in (1, 64):
    ours = statistics.median(r[("eqtransformer", batch)] for r in rows)
    if has_reference:
        share = ratio(("eqtransformer", batch), ("pytorch", batch))
        target = f"[{verdict(share <= 0.6)}] " if batch == 1 else ""
        print(f"  {target}batch {batch}: our eqtransformer takes {share:.2f}x PyTorch eager's time (target <= 0.6x at batch 1; "
              f"{ours / batch:.2f} ms vs {statistics.median(r[('pytorch', batch)] for r in rows) / batch:.2f} ms per window)")
    versus = ratio(("eqtransformer/ort", batch), ("eqtransformer", batch))
    print(f"  [{verdict(versus >= 1)}] batch {batch}: ours no slower than ONNX Runtime: ORT / ours = {versus:.2f}x")
    speedups = {m: ratio(("eqtransformer", batch), (m, batch)) for m in members[1:]}
    print(f"  batch {batch}: speed-up over our eqtransformer: " + ", ".join(f"{m} {x:.2f}x" for m, x in speedups.items()))
    if batch == 1:
        for m in ("eqt-lite", "eqt-prune70"):
            print(f"  [{verdict(speedups[m] >= 3)}] batch 1: {m} >= 3x faster than our eqtransformer: {speedups[m]:.2f}x")
print(f"(machine shared: load average {os.environ['LOAD']} at the first round; JSON per round in {work})")
PY
