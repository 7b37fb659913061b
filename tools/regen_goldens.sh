#!/usr/bin/env bash
# Regenerates tests/golden/*.json from the current build. Review `git diff` afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
# The runs are the GOLDEN_RUNS list of tests/golden/CMakeLists.txt (one source of truth).
runs="$(sed -n '/^set(GOLDEN_RUNS/,/)/p' "$root/tests/golden/CMakeLists.txt" | sed 's/set(GOLDEN_RUNS//; s/)//')"
[ -n "$runs" ] || { echo "regen_goldens: no GOLDEN_RUNS in tests/golden/CMakeLists.txt" >&2; exit 1; }
for run in $runs; do
  IFS=: read -r preset engine trace <<<"$run"
  trace="${trace:-small.csv}"
  out="$(mktemp -d)"
  (cd "$root/tests/golden" && "$build/tpesim" run --engine "$engine" \
    --arch "$root/models/presets/$preset.yaml" --workload "$trace" --out "$out" --quiet)
  cp "$out/report.json" "$root/tests/golden/$preset.$engine.json"
  rm -rf "$out"
  echo "regenerated tests/golden/$preset.$engine.json"
done
