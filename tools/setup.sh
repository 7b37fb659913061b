#!/usr/bin/env bash
# Installs tpesim's dependencies from Debian packages, builds it, and runs the default job.
# Idempotent: packages already installed are kept, the build is incremental.
# Usage: tools/setup.sh            (from the repository root or anywhere)
# Environment: BUILD_DIR (default: build), JOBS (default: number of cores), SKIP_RUN=1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-$(nproc)}"

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libsystemc-dev verilator yosys
  libboost-program-options-dev libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev googletest libsqlite3-dev zlib1g-dev liblz4-dev
  python3 python3-matplotlib
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "tpesim setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$jobs"

if [ "${SKIP_RUN:-0}" != 1 ]; then
  "$build/tpesim" run
fi
