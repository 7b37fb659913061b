#!/usr/bin/env bash
# Regenerates tests/golden/*.json from the current build. Review `git diff` afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
for run in default:fast os16:fast is16:fast scalesim_ws16:fast default:cycle os16:cycle; do
  preset="${run%%:*}"
  engine="${run##*:}"
  out="$(mktemp -d)"
  (cd "$root/tests/golden" && "$build/tpesim" run --engine "$engine" \
    --arch "$root/models/presets/$preset.yaml" --workload small.csv --out "$out" --quiet)
  cp "$out/report.json" "$root/tests/golden/$preset.$engine.json"
  rm -rf "$out"
  echo "regenerated tests/golden/$preset.$engine.json"
done
