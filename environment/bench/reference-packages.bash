# Sourced by the benchmark scripts (not one itself: make bench runs *.sh). The Python reference side runs under
# /usr/bin/python3 on Debian's packages; this installs those whose module does not import, idempotently, sudo when not root.
#   reference_packages MODULE=PACKAGE ...     e.g. reference_packages torch=python3-torch h5py=python3-h5py
#   reference=$(reference_script CALLER PATH MODULE=PACKAGE ...)
reference_packages() {
  local need=() pair sudo=""
  for pair in "$@"; do
    /usr/bin/python3 -c "import ${pair%%=*}" >/dev/null 2>&1 || need+=("${pair#*=}")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Prints PATH, the reference script, once the packages its Python side imports are installed; where it is absent (a
# user's clone has no ../shared) prints nothing and says on standard error that only our side is measured.
reference_script() {
  local caller=$1 path=$2
  shift 2
  if [ ! -f "$path" ]; then
    echo "$caller: $path not found: measuring our side only (no Python reference)" >&2
    return 0
  fi
  reference_packages "$@" >&2
  echo "$path"
}
