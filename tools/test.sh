#!/usr/bin/env bash
# Builds tpesim (incrementally) and runs the whole test suite (unit, cosim, golden, smoke).
# Usage: tools/test.sh [extra ctest arguments, e.g. -L cosim]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
jobs="${JOBS:-$(nproc)}"
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 900 "$@"
