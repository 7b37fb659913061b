#!/usr/bin/env bash
# Regenerates tests/golden/*.json from the current build. Review `git diff` afterwards.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
for run in default:fast os16:fast is16:fast scalesim_ws16:fast default:cycle os16:cycle \
           bitmod_prefill32x32:fast:small_bitmod.csv bitmod_prefill32x32:cycle:small_bitmod.csv \
           bitmod_decode64x16:fast:small_bitmod.csv mixpe_w4a8_64x64:fast:small_mixpe_w4a8.csv \
           mixpe_w4a16_32x32:fast:small_mixpe_w4a16.csv mixpe_w4a16_32x32:cycle:small_mixpe_w4a16.csv; do
  IFS=: read -r preset engine trace <<<"$run"
  trace="${trace:-small.csv}"
  out="$(mktemp -d)"
  (cd "$root/tests/golden" && "$build/tpesim" run --engine "$engine" \
    --arch "$root/models/presets/$preset.yaml" --workload "$trace" --out "$out" --quiet)
  cp "$out/report.json" "$root/tests/golden/$preset.$engine.json"
  rm -rf "$out"
  echo "regenerated tests/golden/$preset.$engine.json"
done
