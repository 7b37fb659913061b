#!/usr/bin/env bash
# Regenerates tests/golden/*.json from the current build. Review `git diff` afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
for preset in default os16 is16 scalesim_ws16; do
  out="$(mktemp -d)"
  (cd "$root/tests/golden" && "$build/tpesim" run --arch "$root/models/presets/$preset.yaml" \
    --workload small.csv --out "$out" --quiet)
  cp "$out/report.json" "$root/tests/golden/$preset.json"
  rm -rf "$out"
  echo "regenerated tests/golden/$preset.json"
done
