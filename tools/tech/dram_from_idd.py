#!/usr/bin/env python3
"""Derives DRAM energy per transferred bit from datasheet currents (IDD) and timings.

Usage (repository root):
  tools/tech/dram_from_idd.py [--data models/tech/dram/idd_sources.yaml] [--verify FILE ...]

Reads the copied datasheet values of models/tech/dram/idd_sources.yaml and prints, per part,
the energy components and the `dram:` entry for models/tech/generic_45nm.yaml. --verify FILE
re-reads the original simulator configuration files (a DRAMsim3 .ini or a DRAMSys/DRAMPower
.json memspec, matched to the data file's `files` by base name) and checks every copied value.

Method: the IDD-difference method of Micron TN-40-07 ("Calculating Memory Power for DDR4
SDRAM"), as DRAMsim3, DRAMPower and Ramulator apply it, summed over the supplies of the core
(I/O supplies are printed but not included):
  read/write burst  V * (IDD4R|IDD4W - IDD3N) * tBurst / (width * BL),  tBurst = BL/2 * tCK
  ACT+PRE           V * (IDD0 * tRC - IDD3N * tRAS - IDD2N * tRP), tRC = tRAS + tRP, per
                    activation, divided by the row's bits (columns * width): whole rows streamed
  refresh           V * (IDD5B - IDD3N) * tRFC / tREFI, divided by the peak bandwidth
  background        V * IDD3N (active standby), divided by the peak bandwidth (the data bus
                    busy all the time; at utilisation u the per-bit figure is 1/u times this)
pj_per_bit = (read + write) / 2 + ACT/PRE + refresh + background.
"""
import argparse
import configparser
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(ROOT, "models", "tech", "dram", "idd_sources.yaml")
SCALAR_KEYS = ("width_bits", "burst_length", "columns", "tck_ns", "tRAS_ck", "tRP_ck", "tRFC_ck",
               "tREFI_ck")
RAIL_KEYS = ("v", "IDD0", "IDD2N", "IDD3N", "IDD4R", "IDD4W", "IDD5B")


def val(x):
    return x[0]


def derive(p):
    tck = val(p["tck_ns"])
    width, bl = val(p["width_bits"]), val(p["burst_length"])
    tras, trp = val(p["tRAS_ck"]) * tck, val(p["tRP_ck"]) * tck
    trfc, trefi = val(p["tRFC_ck"]) * tck, val(p["tREFI_ck"]) * tck
    t_burst = bl / 2 * tck                      # ns; two transfers per clock
    bits_burst = width * bl
    row_bits = val(p["columns"]) * width
    gbps = width * 2 / tck                      # peak bits per ns
    c = dict(read=0.0, write=0.0, act=0.0, act_pj=0.0, refresh=0.0, background=0.0)
    io = {}
    for r in p["rails"]:
        v = val(r["v"])
        g = {k: val(r[k]) for k in RAIL_KEYS[1:] if k in r}
        if r.get("io"):                         # mA * V * ns = pJ
            io[r["name"]] = dict(
                read=v * (g["IDD4R"] - g["IDD3N"]) * t_burst / bits_burst,
                write=v * (g["IDD4W"] - g["IDD3N"]) * t_burst / bits_burst)
            continue
        c["read"] += v * (g["IDD4R"] - g["IDD3N"]) * t_burst / bits_burst
        c["write"] += v * (g["IDD4W"] - g["IDD3N"]) * t_burst / bits_burst
        e_act = v * (g["IDD0"] * (tras + trp) - g["IDD3N"] * tras - g["IDD2N"] * trp)
        c["act_pj"] += e_act
        c["act"] += e_act / row_bits
        c["refresh"] += v * (g["IDD5B"] - g["IDD3N"]) * trfc / trefi / gbps
        c["background"] += v * g["IDD3N"] / gbps
    c["rw"] = (c["read"] + c["write"]) / 2
    c["total"] = c["rw"] + c["act"] + c["refresh"] + c["background"]
    return c, io, dict(gbps=gbps, row_bits=row_bits, bits_burst=bits_burst)


def report(data):
    for p in data["parts"]:
        c, io, g = derive(p)
        f = data["files"][p["file"]]
        print(f"{p['type']}: {p['part']}")
        print(f"  from {f['repo']} {f['commit'][:12]} {f['path']}")
        print(f"  peak {g['gbps']:.4g} Gb/s per device, burst {g['bits_burst']} bits, row {g['row_bits']} bits")
        print(f"  read burst          {c['read']:.4f} pJ/bit")
        print(f"  write burst         {c['write']:.4f} pJ/bit")
        print(f"  read/write average  {c['rw']:.4f} pJ/bit")
        print(f"  ACT+PRE             {c['act']:.4f} pJ/bit  ({c['act_pj']:.1f} pJ per activation, one row)")
        print(f"  refresh             {c['refresh']:.4f} pJ/bit  (at full bandwidth)")
        print(f"  background (IDD3N)  {c['background']:.4f} pJ/bit  (at full bandwidth)")
        print(f"  total               {c['total']:.4f} pJ/bit")
        for name, e in io.items():
            print(f"  not included: {name} (I/O) read {e['read']:.4f}, write {e['write']:.4f} pJ/bit")
        print(f"  dram entry: {{type: {p['type']}, pj_per_bit: {c['total']:.3g}, source: ...}}")


def read_original(path):
    """key -> number of a DRAMsim3 .ini or a DRAMSys/DRAMPower .json memspec (currents in mA,
    tCK in ns, as idd_sources.yaml records them)."""
    if path.endswith(".ini"):
        cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
        cp.optionxform = str
        cp.read(path)
        return {k: float(v) for s in cp.sections() for k, v in cp[s].items()
                if v.replace(".", "", 1).isdigit()}
    with open(path) as fh:
        m = json.load(fh)["memspec"]
    out = {}
    for sec, scale in (("memarchitecturespec", 1), ("memtimingspec", 1), ("mempowerspec", 1)):
        for k, v in m.get(sec, {}).items():
            if isinstance(v, (int, float)):
                out[k] = v * (1e3 if sec == "mempowerspec" and k.lower().startswith("idd") else scale)
    if "tCK" in out:
        out["tCK"] *= 1e9
    return out


def verify(data, paths):
    bad = 0
    for path in paths:
        keys = [k for k, f in data["files"].items() if os.path.basename(f["path"]) == os.path.basename(path)]
        if not keys:
            raise SystemExit(f"{path}: no file of that name in the data file")
        orig = read_original(path)
        n = 0
        for p in (q for q in data["parts"] if q["file"] == keys[0]):
            pairs = [p[k] for k in SCALAR_KEYS] + [r[k] for r in p["rails"] for k in r
                                                   if isinstance(r[k], list)]
            for value, key in pairs:
                if key is None:
                    continue
                n += 1
                if key not in orig or abs(orig[key] - value) > 1e-9 * max(1.0, abs(value)):
                    bad += 1
                    print(f"MISMATCH {path}: {key} = {orig.get(key)}, data file {value}")
        print(f"{path}: {n} values checked")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--verify", nargs="+", default=[], metavar="FILE")
    args = ap.parse_args()
    import yaml
    with open(args.data) as fh:
        data = yaml.safe_load(fh)
    rc = verify(data, args.verify) if args.verify else 0
    report(data)
    return rc


if __name__ == "__main__":
    sys.exit(main())
