#!/usr/bin/env bash
# Extraction and spectrogram throughput of this checkout against another built checkout (a worktree of an earlier
# commit, say), on the same data, in interleaved rounds; and whether both write the same bytes.
#
#   environment/bench/against.sh OTHER_CHECKOUT [TRACES] [ROUNDS]     (defaults 10000 and 3)
#
# Writes a synthetic STEAD file of TRACES traces and, with this checkout, a subset of all of them in a temporary folder.
# Then, ROUNDS times, each side in turn (the side that starts alternates, so a busy shared machine favours neither):
# `quakeprune extract` of every trace (traces/s as the command reports its writing phase, and the whole command's wall
# clock) and `quakeprune spectrogram` of the subset (no preprocessing, raw dB, native size, float32, 2 threads: the
# settings of spectrogram.sh, where reading weighs most; traces/s over the whole command's wall clock), each also as CPU
# time per trace (user + system, child processes included: steadier than the wall clock on a busy machine). Both read
# files another process wrote. Prints every run, the median per side and the ratios, and compares the outputs
# of the two sides (bytes, else values and attributes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ $# -eq 0 ]; then
  # make bench runs every harness without arguments: this one needs a checkout to compare with.
  echo "against.sh: skipped (give another built checkout, e.g. a worktree of an earlier commit)"
  exit 0
fi
other=$(cd "$1" && pwd)
traces=${2:-10000}
rounds=${3:-3}
for side in "$root" "$other"; do
  [ -f "$side/artifacts/bin/QuakePrune.Cli/release/QuakePrune.Cli.dll" ] || { echo "$side is not built (environment/setup.sh there)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/quakeprune" synth --out "$work/syn" --traces "$traces" --seed 1 >/dev/null
"$root/quakeprune" extract --input "$work/syn" --out "$work/subset" --per-class "$traces" >/dev/null 2>&1
count=$(($(wc -l < "$work/subset/subset.csv") - 1))

declare -A extract_rates extract_walls spectrogram_rates extract_cpu spectrogram_cpu
# Runs a command, leaving its wall clock seconds in $wall and its CPU seconds (user + system, children included) in $cpu.
timed() {
  local TIMEFORMAT="%R %U %S" times user system
  times=$( { time "$@" >"$work/out.txt" 2>/dev/null; } 2>&1 )
  read -r wall user system <<< "$times"
  cpu=$(echo "$user + $system" | bc -l)
}
run_side() { # NAME CHECKOUT
  local name=$1 qp="$2/quakeprune" rate
  rm -rf "$work/extract-$name" "$work/spectrograms-$name.h5"
  timed "$qp" extract --input "$work/syn" --out "$work/extract-$name" --per-class "$traces"
  rate=$(grep -o "writing [0-9.]* traces/s" "$work/out.txt" | awk '{print $2}')
  extract_rates[$name]+="$rate "
  extract_walls[$name]+="$(echo "$count / $wall" | bc -l) "
  extract_cpu[$name]+="$(echo "1000 * $cpu / $count" | bc -l) "
  printf "round %d %-5s extract      %6.0f traces/s writing, %6.0f traces/s command, %.3f CPU ms/trace\n" \
    "$round" "$name" "$rate" "$(echo "$count / $wall" | bc -l)" "$(echo "1000 * $cpu / $count" | bc -l)"
  timed "$qp" spectrogram --subset "$work/subset" --out "$work/spectrograms-$name.h5" --preprocess none --normalize none --size native \
    --dtype float32 --threads 2
  spectrogram_rates[$name]+="$(echo "$count / $wall" | bc -l) "
  spectrogram_cpu[$name]+="$(echo "1000 * $cpu / $count" | bc -l) "
  printf "round %d %-5s spectrogram  %6.0f traces/s command, %.3f CPU ms/trace\n" \
    "$round" "$name" "$(echo "$count / $wall" | bc -l)" "$(echo "1000 * $cpu / $count" | bc -l)"
}
median() { printf "%s\n" $1 | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "== $count traces, $rounds rounds; this: $root ($(git -C "$root" rev-parse --short HEAD)), other: $other ($(git -C "$other" rev-parse --short HEAD))"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then run_side other "$other"; run_side this "$root"
  else run_side this "$root"; run_side other "$other"; fi
done

# Byte for byte; else (an older checkout may stamp times into HDF5 objects) dataset values and attributes by h5py.
same() {
  if cmp -s "$1" "$2"; then echo "same bytes"; return; fi
  case "$1" in *.csv) echo "DIFFERENT"; return;; esac
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import h5py
import numpy as np
def value(v):
    v = np.asarray(v)
    return (v.dtype.str, v.shape, tuple(v.ravel().tolist()) if v.dtype.kind == "O" else v.tobytes())
def items(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            attrs = {k: value(v) for k, v in obj.attrs.items()}
            out[name] = (value(obj[()]) if isinstance(obj, h5py.Dataset) else None, attrs)
        f.visititems(visit)
        out["/"] = (None, {k: value(v) for k, v in f.attrs.items()})
    return out
print("same values and attributes, other bytes" if items(sys.argv[1]) == items(sys.argv[2]) else "DIFFERENT")
PY
}
echo "== result ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)), medians of $rounds rounds"
for what in extract_rates extract_walls spectrogram_rates; do
  declare -n values=$what
  ours=$(median "${values[this]}")
  theirs=$(median "${values[other]}")
  printf "%-18s this %6.0f  other %6.0f traces/s      ratio %.2f\n" "$what" "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
done
for what in extract_cpu spectrogram_cpu; do
  declare -n values=$what
  ours=$(median "${values[this]}")
  theirs=$(median "${values[other]}")
  printf "%-18s this %6.3f  other %6.3f CPU ms/trace  ratio %.2f (other / this)\n" "$what" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
done
echo "subset.hdf5        $(same "$work/extract-this/subset.hdf5" "$work/extract-other/subset.hdf5")"
echo "subset.csv         $(same "$work/extract-this/subset.csv" "$work/extract-other/subset.csv")"
echo "spectrograms.h5    $(same "$work/spectrograms-this.h5" "$work/spectrograms-other.h5")"
