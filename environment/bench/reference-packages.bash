# Sourced by the benchmark scripts (not one itself: make bench runs *.sh). The Python reference side runs under
# /usr/bin/python3 on Debian's packages; this installs those whose module does not import, idempotently, sudo when not root.
#   reference_packages MODULE=PACKAGE ...     e.g. reference_packages torch=python3-torch h5py=python3-h5py
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
