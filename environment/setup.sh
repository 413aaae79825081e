#!/usr/bin/env bash
# Installs and builds everything QuakePrune needs on Debian (bookworm). Safe to run again: each step
# does only what is missing, so `make report` and `make test` call it every time.
#
#   environment/setup.sh [--libtorch DIR]
#
# --libtorch DIR (or QUAKEPRUNE_LIBTORCH=DIR): build the native shim against another libtorch, for
# instance a CUDA build unpacked from pytorch.org; DIR is the folder holding share/cmake/Torch.
# The default is Debian's libtorch-dev (CPU, oneDNN).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
libtorch=${QUAKEPRUNE_LIBTORCH:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --libtorch) libtorch=${2:?--libtorch needs a folder}; shift 2 ;;
    --libtorch=*) libtorch=${1#*=}; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Debian packages: native libraries, the toolchain for the shim, and the Jupyter/Chromium tools that
# validate notebooks and render figures. Debian's libtorch calls the generic libblas.so.3, which is the reference
# (unoptimised) BLAS unless an optimised one is installed: OpenBLAS (its OpenMP build, the threading libtorch uses) takes
# that name through Debian's alternatives and makes an EQTransformer training step 1.27x as fast (2 threads, batch 32).
# python3-onnx: onnx's own checker judges every exported model in the tests.
# libgloo-dev: the headers of gloo, under c10d's gloo process group (data-parallel training); libtorch links its library.
packages=(libtorch-dev libgloo-dev libopenblas0-openmp libhdf5-dev cmake g++ make python3-nbformat jupyter-nbconvert chromium python3-onnx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js (for npm) only where the machine has none: Debian's would clash with a newer one.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is needed (https://dot.net, or open the devcontainer)" >&2
  exit 1
fi

# The native shim over libtorch.
cmake_args=(-S "$root/lib/native" -B "$root/lib/native/build" -DCMAKE_BUILD_TYPE=Release)
[ -n "$libtorch" ] && cmake_args+=("-DCMAKE_PREFIX_PATH=$libtorch")
if [ ! -f "$root/lib/native/build/CMakeCache.txt" ] || [ -n "$libtorch" ]; then
  cmake "${cmake_args[@]}" >/dev/null
fi
cmake --build "$root/lib/native/build" -j "$(nproc)"

# plotly.js for figures, from npm, pinned by the lock file; nothing is fetched at run time.
if [ ! -d "$root/environment/node_modules/plotly.js-dist-min" ]; then
  npm ci --prefix "$root/environment" --no-audit --no-fund --silent
fi

# The stock .NET Interactive kernel, for VS Code and Jupyter: the dotnet tool pinned in .config/dotnet-tools.json,
# restored into the NuGet cache, and the Jupyter kernelspec `.net-csharp` started from that copy by its full path
# (so it works from any folder, and `dotnet-interactive jupyter install` is not needed: it fails when the kernels
# folder does not exist yet). Per user, without sudo: run this script as yourself.
tool_version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tools"]["microsoft.dotnet-interactive"]["version"])' \
  "$root/.config/dotnet-tools.json")
nuget_packages=${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')}
kernel_app() { compgen -G "${nuget_packages%/}/microsoft.dotnet-interactive/$tool_version/tools/*/any/Microsoft.DotNet.Interactive.App.dll" | head -n 1; }
# CSharpier, the formatter `make test` checks the layout with (environment/check-style.sh), is the manifest's other tool.
csharpier_version=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tools"]["csharpier"]["version"])' \
  "$root/.config/dotnet-tools.json")
if [ -z "$(kernel_app)" ] || [ ! -d "${nuget_packages%/}/csharpier/$csharpier_version" ]; then
  echo "setup: restoring the dotnet tools of .config/dotnet-tools.json (Microsoft.dotnet-interactive $tool_version, csharpier $csharpier_version)"
  (cd "$root" && dotnet tool restore >/dev/null)
fi
app=$(kernel_app)
[ -n "$app" ] || { echo "setup: Microsoft.dotnet-interactive $tool_version was restored but its kernel is not under $nuget_packages" >&2; exit 1; }
kernelspec_dir="$(jupyter --data-dir)/kernels/.net-csharp"
kernelspec=$(python3 - "$(command -v dotnet)" "$app" <<'PY'
import json, sys
dotnet, app = sys.argv[1:3]
print(json.dumps({
    "argv": [dotnet, app, "jupyter", "--default-kernel", "csharp", "--http-local-only", "{connection_file}"],
    "display_name": ".NET (C#)",
    "language": "C#",
    "env": {"DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"},
}, indent=1))
PY
)
if [ "$(cat "$kernelspec_dir/kernel.json" 2>/dev/null)" != "$kernelspec" ]; then
  echo "setup: Jupyter kernel .net-csharp -> $app"
  mkdir -p "$kernelspec_dir"
  printf '%s\n' "$kernelspec" > "$kernelspec_dir/kernel.json"
fi

# The C# solution (NuGet restore included).
dotnet build "$root/QuakePrune.sln" -c Release --nologo -v quiet -clp:ErrorsOnly
