#!/usr/bin/env python3
"""BitMoD (W4 bitmod_fp4, W3 bitmod_fp3) vs the FP16 systolic baseline on Llama-2-7B.

Runs tpesim's fast engine on the prefill (256 tokens) and decode (1 token, 256-token context)
traces in workloads/ and prints one table: cycles, speedup over the FP16 32x32 array of the
same phase, DRAM bytes, utilization, the BitMoD engine's analytical estimate (sum of the
layers' analytical_cycles) with cycles / analytical, and the lowest layer SQNR.

Usage: tools/compare_bitmod.py [path/to/tpesim]   (default: <repo>/build/tpesim)

The reports go to a temporary directory that is removed afterwards. The output is
deterministic. Exits non-zero if any run fails or a report is not as expected.
Python 3 standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRESETS = os.path.join(ROOT, "models", "presets")
WORKLOADS = os.path.join(ROOT, "workloads")

# phase, design, weights, preset, --set overrides, trace, note
RUNS = [
    ("prefill", "fp16-ws", "fp16", "fp16_ws32", [], "llama2-7b-prefill-256-fp16", "baseline"),
    ("prefill", "fp16-ws", "fp16", "fp16_ws32", ["cols=24"], "llama2-7b-prefill-256-fp16", "paper's FP16 PEs"),
    ("prefill", "bitmod", "bitmod_fp4", "bitmod_prefill32x32", [], "llama2-7b-prefill-256-bitmod-fp4", ""),
    ("prefill", "bitmod", "bitmod_fp3", "bitmod_prefill32x32", [], "llama2-7b-prefill-256-bitmod-fp3", ""),
    ("decode", "fp16-ws", "fp16", "fp16_ws32", [], "llama2-7b-decode-256-fp16", "baseline"),
    ("decode", "fp16-ws", "fp16", "fp16_ws32", ["rows=64", "cols=16"], "llama2-7b-decode-256-fp16", ""),
    ("decode", "fp16-ws", "fp16", "fp16_ws32", ["rows=64", "cols=12"], "llama2-7b-decode-256-fp16",
     "paper's FP16 PEs"),
    ("decode", "bitmod", "bitmod_fp4", "bitmod_decode64x16", [], "llama2-7b-decode-256-bitmod-fp4", "preset"),
    ("decode", "bitmod", "bitmod_fp3", "bitmod_decode64x16", [], "llama2-7b-decode-256-bitmod-fp3", "preset"),
]

COLUMNS = ["phase", "design", "array", "weights", "cycles", "speedup", "DRAM bytes", "util %",
           "analytical", "cyc/anl", "SQNR dB", "note"]
LEFT = {"phase", "design", "array", "weights", "note"}


class Failure(Exception):
    pass


def run_one(binary, outdir, preset, sets, trace):
    cmd = [binary, "run", "--engine", "fast", "--quiet",
           "--arch", os.path.join(PRESETS, preset + ".yaml"),
           "--workload", os.path.join(WORKLOADS, trace + ".csv"), "--out", outdir]
    for s in sets:
        cmd += ["--set", s]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Failure("command failed (exit %d): %s\n%s%s" % (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    path = os.path.join(outdir, "report.json")
    try:
        with open(path, encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("cannot read %s: %s" % (path, e))
    if rep.get("schema") != "tpesim-report/1":
        raise Failure("%s: unexpected schema %r" % (path, rep.get("schema")))
    return rep


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            raise Failure("report lacks %s" % ".".join(keys))
        d = d[k]
    return d


def row_of(spec, rep, base_cycles):
    phase, design, weights, _preset, _sets, _trace, note = spec
    t = get(rep, "totals")
    cycles = get(t, "cycles", "total")
    if cycles <= 0:
        raise Failure("%s %s: zero cycles" % (phase, weights))
    rows, cols = get(rep, "arch", "rows"), get(rep, "arch", "cols")
    analytical = get(t, "analytical_cycles")
    sqnr = get(t, "sqnr_db")
    if design == "bitmod" and (analytical <= 0 or sqnr is None):
        raise Failure("%s %s: BitMoD report without analytical_cycles / sqnr_db" % (phase, weights))
    return [
        phase, design, "%dx%d" % (rows, cols), weights,
        "{:,}".format(cycles),
        "%.2fx" % (base_cycles / cycles),
        "{:,}".format(get(t, "dram_bytes")),
        "%.2f" % (100.0 * get(t, "utilization")),
        "{:,}".format(analytical) if analytical else "-",
        "%.3f" % (cycles / analytical) if analytical else "-",
        "%.2f" % sqnr if sqnr is not None else "-",
        note,
    ]


def render(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    lines = []
    for n, r in enumerate(table):
        cells = [c.ljust(w) if COLUMNS[i] in LEFT else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tpesim", nargs="?", default=os.path.join(ROOT, "build", "tpesim"),
                    help="tpesim binary (default: <repo>/build/tpesim)")
    args = ap.parse_args()
    binary = os.path.abspath(args.tpesim)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("compare_bitmod: no executable tpesim at %s (pass its path)" % binary, file=sys.stderr)
        return 2
    table = [COLUMNS]
    try:
        with tempfile.TemporaryDirectory(prefix="compare_bitmod.") as tmp:
            reports = [run_one(binary, os.path.join(tmp, "run%02d" % i), s[3], s[4], s[5])
                       for i, s in enumerate(RUNS)]
            base, macs = {}, {}
            for s, rep in zip(RUNS, reports):
                phase = s[0]
                if s[6] == "baseline":
                    base[phase] = get(rep, "totals", "cycles", "total")
                m = get(rep, "totals", "macs")
                if macs.setdefault(phase, m) != m:  # all designs of a phase run the same GEMMs
                    raise Failure("%s: %s has %d MACs, expected %d" % (phase, s[5], m, macs[phase]))
            for s, rep in zip(RUNS, reports):
                table.append(row_of(s, rep, base[s[0]]))
    except Failure as e:
        print("compare_bitmod: %s" % e, file=sys.stderr)
        return 1
    print("Llama-2-7B, prefill 256 tokens / decode 1 token at 256 context, 32 layers, no lm_head; "
          "tpesim fast engine")
    print(render(table))
    print("speedup: over fp16-ws 32x32 of the same phase. util: useful MACs over the design's peak "
          "(fp16-ws 1 MAC/PE/cycle; bitmod lanes/terms = 2 MACs/PE/cycle).")
    print("analytical: sum over layers of max(term cycles, DRAM bytes / bandwidth) (BitMoD engine only). "
          "SQNR: lowest layer, sampled outputs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
