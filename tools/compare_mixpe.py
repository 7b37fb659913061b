#!/usr/bin/env python3
"""MixPE (W4A8, W4A16) vs its baselines (INT8, FP16, FP16xINT8) on Llama-2-13B and OPT-6.7B.

Runs tpesim's fast engine on the 64-token prefill traces in workloads/ with the five presets
(models/presets/mixpe_*.yaml, the arrays and memories of the authors' simulator, 500 MHz) and
prints, per model, cycles, time, speedup normalised to the FP16 array, DRAM bytes, stall share
and the dequantisation work. Usage: tools/compare_mixpe.py [path/to/tpesim]. Deterministic;
exits non-zero if a run fails. Python 3 standard library only (shares its runner with
compare_bitmod.py).
"""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_bitmod import ROOT, Failure, get, run_one  # noqa: E402

DESIGNS = [  # design, preset, trace suffix
    ("FP16", "mixpe_base_fp16_32x28", "fp16"),
    ("INT8", "mixpe_base_int8_32x32", "int8"),
    ("FP16xINT8", "mixpe_fp16xint8_32x32", "fp16xint8"),
    ("MixPE W4A16", "mixpe_w4a16_32x32", "w4a16"),
    ("MixPE W4A8", "mixpe_w4a8_64x64", "w4a8"),
]
MODELS = ["llama2-13b", "opt-6.7b"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tpesim", nargs="?", default=os.path.join(ROOT, "build", "tpesim"))
    args = ap.parse_args()
    if not os.path.isfile(args.tpesim):
        print("compare_mixpe: no tpesim binary at %s (build first, or pass its path)" % args.tpesim, file=sys.stderr)
        return 2
    header = ["model", "design", "array", "cycles", "time ms", "speedup", "DRAM bytes", "stall %", "dequant ops"]
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for model in MODELS:
                base = None
                for i, (design, preset, suffix) in enumerate(DESIGNS):
                    rep = run_one(args.tpesim, os.path.join(tmp, "%s-%d" % (model, i)), preset, [],
                                  "%s-prefill-64-%s" % (model, suffix))
                    t = get(rep, "totals")
                    cycles = get(t, "cycles", "total")
                    secs = cycles / get(rep, "arch", "clock_hz")
                    base = secs if base is None else base
                    acts = get(t, "actions")
                    dq = sum(v for k, v in acts.items() if "dequant" in k)
                    rows.append([model, design, "%dx%d" % (get(rep, "arch", "rows"), get(rep, "arch", "cols")),
                                 "{:,}".format(cycles), "%.3f" % (secs * 1e3), "%.2fx" % (base / secs),
                                 "{:,}".format(get(t, "dram_bytes")),
                                 "%.1f" % (100.0 * get(t, "cycles", "stall") / cycles), "{:,}".format(dq)])
    except Failure as e:
        print("compare_mixpe: %s" % e, file=sys.stderr)
        return 1
    widths = [max(len(str(r[c])) for r in rows + [header]) for c in range(len(header))]
    left = {0, 1, 2}
    def fmt(r):
        return "  ".join(str(v).ljust(w) if c in left else str(v).rjust(w) for c, (v, w) in enumerate(zip(r, widths)))
    print("Prefill of 64 tokens, all decoder layers, no lm_head; tpesim fast engine; speedup = FP16 time / time")
    print(fmt(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
