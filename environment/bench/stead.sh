#!/usr/bin/env bash
# STEAD extraction throughput against h5py, and peak memory at two input sizes, in one run.
#
#   environment/bench/stead.sh [TRACES]      (default 20000; STEAD_BENCH_TRACES works too)
#
# Writes a synthetic STEAD file of TRACES traces in a temporary folder, times `quakeprune extract` taking every
# trace (read, check, write with attributes: traces/s as the command reports it) and h5py reading the same traces by
# name in the same order (/usr/bin/python3 + Debian's python3-h5py), then prints both and their ratio; also h5py doing
# the extraction's own work (read, write, copy the attributes) on 2,000 of them. Memory:
# peak RSS (/usr/bin/time -v) of extracting the same 1,000 + 1,000 traces from inputs of TRACES/4 and TRACES traces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
traces=${1:-${STEAD_BENCH_TRACES:-20000}}
qp="$root/quakeprune"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

need=()
/usr/bin/python3 -c "import h5py" 2>/dev/null || need+=(python3-h5py)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f "$root/artifacts/bin/QuakePrune.Cli/release/QuakePrune.Cli.dll" ] || dotnet build "$root/lib/QuakePrune.Cli" -c Release --nologo -v quiet -clp:ErrorsOnly

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

peak_kb() { grep "Maximum resident set size" "$1" | awk '{print $NF}'; }

echo "== synth: $traces traces"
synth_start=$(date +%s.%N)
"$qp" synth --out "$work/big" --traces "$traces" --seed 1
synth_s=$(echo "$(date +%s.%N) - $synth_start" | bc)
"$qp" synth --out "$work/small" --traces $((traces / 4)) --seed 2 >/dev/null

echo "== quakeprune extract: all $traces traces"
half=$((traces / 2))
/usr/bin/time -v -o "$work/time-all.txt" "$qp" extract --input "$work/big" --out "$work/all" --per-class "$half" 2>/dev/null | tee "$work/extract.txt"
ours=$(grep -o "writing [0-9.]* traces/s" "$work/extract.txt" | awk '{print $2}')

echo "== h5py: reading the same traces by name, in the same order"
/usr/bin/python3 - "$work/big.hdf5" "$work/all/subset.csv" > "$work/h5py.txt" <<'PY'
import csv, json, sys, time
import h5py
import numpy as np
names = [row["trace_name"] for row in csv.DictReader(open(sys.argv[2]))]
t0 = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f:
    data = f["data"]
    for name in names:
        x = np.asarray(data[name], dtype=np.float32)
dt = time.perf_counter() - t0
print(json.dumps({"engine": "h5py %s read by name" % h5py.__version__, "traces": len(names), "seconds": dt, "traces_per_s": len(names) / dt}))
PY
cat "$work/h5py.txt"
theirs=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['traces_per_s']))" "$work/h5py.txt")

echo "== h5py doing the extraction's work (read, create, copy the attributes) on the first 2000 traces"
/usr/bin/python3 - "$work/big.hdf5" "$work/all/subset.csv" "$work/h5py-copy.hdf5" > "$work/h5py-copy.txt" <<'PY'
import csv, json, sys, time
import h5py
import numpy as np
names = [row["trace_name"] for row in csv.DictReader(open(sys.argv[2]))][:2000]
t0 = time.perf_counter()
with h5py.File(sys.argv[1], "r") as f, h5py.File(sys.argv[3], "w") as out:
    data, target = f["data"], out.create_group("data")
    for name in names:
        source = data[name]
        x = np.asarray(source, dtype=np.float32)
        if not np.isfinite(x).all():
            continue
        copy = target.create_dataset(name, data=x)
        for key, value in source.attrs.items():
            copy.attrs[key] = value
dt = time.perf_counter() - t0
print(json.dumps({"engine": "h5py %s read + write + attributes" % h5py.__version__, "traces": len(names), "seconds": dt, "traces_per_s": len(names) / dt}))
PY
cat "$work/h5py-copy.txt"
theirs_copy=$(/usr/bin/python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['traces_per_s']))" "$work/h5py-copy.txt")

echo "== memory: extracting 1000 + 1000 traces from $((traces / 4)) and from $traces traces"
/usr/bin/time -v -o "$work/time-small.txt" "$qp" extract --input "$work/small" --out "$work/m-small" --per-class 1000 >/dev/null 2>&1
/usr/bin/time -v -o "$work/time-big.txt" "$qp" extract --input "$work/big" --out "$work/m-big" --per-class 1000 >/dev/null 2>&1

echo
echo "== stead benchmark ($(nproc) cores, HDF5 $("$qp" info | grep -o '"hdf5": "[^ "]*' | cut -d'"' -f4))"
printf "synth                         %8.1f s for %d traces\n" "$synth_s" "$traces"
printf "quakeprune extract            %8.0f traces/s (read + check + write with 35 attributes)\n" "$ours"
printf "h5py read only                %8.0f traces/s\n" "$theirs"
printf "ratio extract / h5py read     %8.2f\n" "$(echo "$ours / $theirs" | bc -l)"
printf "h5py extract-equivalent       %8.0f traces/s (read + write + copy attributes)\n" "$theirs_copy"
printf "ratio extract / h5py same work%8.2f\n" "$(echo "$ours / $theirs_copy" | bc -l)"
printf "peak RSS extract all %6d    %8d MB\n" "$traces" $(( $(peak_kb "$work/time-all.txt") / 1024 ))
printf "peak RSS 2000 of %6d        %8d MB\n" $((traces / 4)) $(( $(peak_kb "$work/time-small.txt") / 1024 ))
printf "peak RSS 2000 of %6d        %8d MB\n" "$traces" $(( $(peak_kb "$work/time-big.txt") / 1024 ))
