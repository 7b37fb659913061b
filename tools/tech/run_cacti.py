#!/usr/bin/env python3
"""Regenerates the `sram:` entries of a technology table by running CACTI 7.

Usage:
  tools/tech/run_cacti.py CACTI_BINARY [--cfg models/tech/cacti/sram_45nm.cfg]
                          [--update models/tech/generic_45nm.yaml] [--source cacti7]

CACTI_BINARY is a `cacti` executable built from github.com/HewlettPackard/cacti (the shipped
45 nm entries came from commit 1ffd8dfb10303d306ecd8d215320aea07651e878, `make opt`, with the
config's itrs-lop cells and periphery at 300 K). CACTI reads its technology files from
`tech_params/` relative to the working directory, so each run starts in the binary's directory;
the configs and CACTI's `.out` files go to a temporary directory.

The config file is used as written except for four lines, set per run: `-size (bytes)`,
`-block size (bytes)` (= width / 8), `-output/input bus width` (= width) and `-UCA bank count`.
Each run gives one entry (docs/energy-area.md, "Shipped tables"):
  read_pj / write_pj  "Total dynamic read/write energy per access" (nJ) x 1000
  area_mm2            "Cache height x width" (mm x mm), all banks
  leakage_mw          banks x ("Total leakage power of a bank" + "Total gate leakage power of a
                      bank"); CACTI reports both per bank
and the reference run (64 KiB, 512 bits, 1 bank) also gives sram_array_efficiency, CACTI's data
array "Area efficiency (Memory cell area/Total area)".

Without --update the YAML block is printed; with --update the `sram:` block and the
`sram_array_efficiency:` line of that file are replaced in place. A point CACTI cannot organise
is reported on stderr and left out (no value is ever invented); the exit status is then 1.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

CAPACITIES = [8192 << i for i in range(9)]  # 8 KiB .. 2 MiB
WIDTHS = [64, 128, 256, 512, 1024]
TWO_BANK = [(cap, w) for cap in (262144, 524288) for w in (128, 256, 512)]
REFERENCE = (65536, 512, 1)  # the entry sram_array_efficiency is read from

PER_RUN = {
    "size": re.compile(r"^-size \(bytes\) .*$", re.M),
    "block": re.compile(r"^-block size \(bytes\) .*$", re.M),
    "bus": re.compile(r"^-output/input bus width .*$", re.M),
    "banks": re.compile(r"^-UCA bank count .*$", re.M),
}

NUM = r"([-+0-9.eE]+)"
FIELDS = {
    "read_nj": re.compile(r"^\s*Total dynamic read energy per access \(nJ\): " + NUM, re.M),
    "write_nj": re.compile(r"^\s*Total dynamic write energy per access \(nJ\): " + NUM, re.M),
    "leak_mw": re.compile(r"^\s*Total leakage power of a bank \(mW\): " + NUM, re.M),
    "gate_leak_mw": re.compile(r"^\s*Total gate leakage power of a bank \(mW\): " + NUM, re.M),
    "height_width": re.compile(r"^\s*Cache height x width \(mm\): " + NUM + " x " + NUM, re.M),
    "efficiency": re.compile(r"Area efficiency \(Memory cell area/Total area\) - " + NUM + " %"),
    "size": re.compile(r"^\s*Total cache size \(bytes\): (\d+)", re.M),
    "banks": re.compile(r"^\s*Number of banks: (\d+)", re.M),
}


def g6(x):
    """Six significant digits, as CACTI prints them."""
    return float(f"{x:.6g}")


def config_for(template, capacity, width, banks):
    text = template
    for key, line in (("size", f"-size (bytes) {capacity}"),
                      ("block", f"-block size (bytes) {width // 8}"),
                      ("bus", f"-output/input bus width {width}"),
                      ("banks", f"-UCA bank count {banks}")):
        text, n = PER_RUN[key].subn(line, text)
        if n != 1:
            raise SystemExit(f"config: expected exactly one '{line.split(' ')[0]}' line, found {n}")
    return text


def run_point(cacti, template, workdir, capacity, width, banks):
    cfg = os.path.join(workdir, f"sram_{capacity}_{width}_{banks}.cfg")
    with open(cfg, "w") as f:
        f.write(config_for(template, capacity, width, banks))
    proc = subprocess.run([cacti, "-infile", cfg], cwd=os.path.dirname(cacti),
                          capture_output=True, text=True, timeout=3600)
    out = proc.stdout
    found = {k: rx.search(out) for k, rx in FIELDS.items()}
    missing = [k for k in ("read_nj", "write_nj", "leak_mw", "gate_leak_mw", "height_width",
                           "size", "banks") if not found[k]]
    if proc.returncode != 0 or missing:
        tail = (out + proc.stderr).strip().splitlines()[-3:]
        return None, f"exit {proc.returncode}, missing {missing}: {' | '.join(tail)}"
    if int(found["size"].group(1)) != capacity or int(found["banks"].group(1)) != banks:
        return None, "CACTI echoed a different size or bank count"
    h, w = (float(v) for v in found["height_width"].groups())
    entry = {
        "capacity_bytes": capacity, "width_bits": width, "banks": banks,
        "read_pj": g6(float(found["read_nj"].group(1)) * 1000.0),
        "write_pj": g6(float(found["write_nj"].group(1)) * 1000.0),
        "area_mm2": g6(h * w),
        "leakage_mw": g6(banks * (float(found["leak_mw"].group(1)) +
                                  float(found["gate_leak_mw"].group(1)))),
    }
    eff = float(found["efficiency"].group(1)) / 100.0 if found["efficiency"] else None
    return (entry, eff), None


def fmt(v):
    return repr(v) if isinstance(v, float) else str(v)


def render(entries, source, cfg_path):
    lines = [f"sram:  # tools/tech/run_cacti.py, {cfg_path}; regenerate, do not edit by hand"]
    for e in entries:
        body = ", ".join(f"{k}: {fmt(e[k])}" for k in
                         ("capacity_bytes", "width_bits", "banks", "read_pj", "write_pj",
                          "area_mm2", "leakage_mw"))
        lines.append(f"  - {{{body}, source: {source}}}")
    return "\n".join(lines) + "\n"


def update_file(path, block, efficiency_line):
    with open(path) as f:
        lines = f.read().splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.startswith("sram:")), None)
    if start is None:
        raise SystemExit(f"{path}: no top-level 'sram:' key")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t", "#")) or not lines[end].strip()):
        end += 1
    # keep blank lines / comments that belong to the next key
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    lines[start:end] = [block]
    text = "".join(lines)
    if efficiency_line is not None:
        text, n = re.subn(r"^sram_array_efficiency:.*$", efficiency_line, text, flags=re.M)
        if n != 1:
            raise SystemExit(f"{path}: expected one 'sram_array_efficiency:' line, found {n}")
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cacti", help="path to the cacti binary (its directory holds tech_params/)")
    ap.add_argument("--cfg", default="models/tech/cacti/sram_45nm.cfg")
    ap.add_argument("--update", metavar="TABLE.yaml", help="rewrite the sram entries of this table")
    ap.add_argument("--source", default="cacti7", help="source key written into each entry")
    args = ap.parse_args()
    cacti = os.path.abspath(args.cacti)
    with open(args.cfg) as f:
        template = f.read()
    points = [(c, w, 1) for c in CAPACITIES for w in WIDTHS] + [(c, w, 2) for c, w in TWO_BANK]
    entries, efficiency, failed = [], None, []
    with tempfile.TemporaryDirectory(prefix="tpesim-cacti-") as workdir:
        for cap, width, banks in points:
            result, error = run_point(cacti, template, workdir, cap, width, banks)
            if error:
                failed.append((cap, width, banks))
                print(f"run_cacti: {cap} B, {width} bit, {banks} bank(s): no result ({error})",
                      file=sys.stderr)
                continue
            entry, eff = result
            entries.append(entry)
            if (cap, width, banks) == REFERENCE:
                efficiency = eff
            print(f"run_cacti: {cap} B, {width} bit, {banks} bank(s): ok", file=sys.stderr)
    block = render(entries, args.source, args.cfg)
    eff_line = None
    if efficiency is not None:
        eff_line = (f"sram_array_efficiency: {{value: {g6(efficiency)!r}, source: {args.source}}}"
                    "  # CACTI data-array area efficiency, 64 KiB x 512 bit, 1 bank")
    if args.update:
        update_file(args.update, block, eff_line)
    else:
        sys.stdout.write(block)
        if eff_line:
            sys.stdout.write(eff_line + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
