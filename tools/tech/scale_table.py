#!/usr/bin/env python3
"""Writes a technology table scaled to another node with the Stillmaker & Baas 2017 equations.

Usage:
  tools/tech/scale_table.py FROM.yaml TO_NM TO_VDD OUT.yaml
  e.g. tools/tech/scale_table.py models/tech/generic_45nm.yaml 28 0.9 models/tech/generic_28nm.yaml

The rule is the one sim/cost/tech_scale.cpp implements (scale_tech) and docs/energy-area.md
("Node scaling") documents; tests/unit/test_tech_scale.cpp checks that the file this writes
equals scale_tech(load_tech(FROM), TO_NM, TO_VDD) entry by entry. Data: A. Stillmaker, B. Baas,
Integration, the VLSI Journal 58 (2017) 74-81, doi:10.1016/j.vlsi.2017.02.002: energy fits
(Table 5), power fits and node-to-node area factors; high-performance fits below 65 nm.
"""
import math
import sys

NODES = [180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7]
ENERGY = [  # a, b, c of E = a V^2 + b V + c (Table 5)
    (0, 24.64, -17.98), (7.171, -6.709, 2.904), (4.762, -4.781, 2.092), (3.755, -4.398, 1.975),
    (1.018, -0.3107, 0.1539), (0.8367, -0.4341, 0.1701), (0.373, -0.1582, 0.04104),
    (0.2958, -0.1241, 0.03024), (0.2363, -0.09675, 0.02239), (0.2068, -0.09311, 0.02375),
    (0.1776, -0.09097, 0.02447)]
POWER = [  # a, b, c of P = a V^2 + b V + c
    (0, 101000, -79720), (27020, -15450, 5630), (17320, -11230, 4328), (12890, -10510, 4362),
    (5462, -1760, 522.4), (4001, -1733, 533.6), (2922, -1286, 299.9), (2133, -882.6, 197.7),
    (1675, -711, 159), (1456, -621.6, 143.8), (1179, -515.7, 123.4)]
AREA = [  # AREA[i][j]: an area at NODES[i] times this is the area at NODES[j]
    [1, 0.34, 0.15, 0.08, 0.053, 0.025, 0.011, 0.01, 0.0093, 0.0055, 0.0032],
    [2.9, 1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092],
    [6.6, 2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021],
    [12, 4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039],
    [19, 6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059],
    [40, 14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13],
    [88, 30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28],
    [99, 34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31],
    [110, 37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34],
    [180, 63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58],
    [320, 110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1]]
KEY = "stillmaker17"
CITATION = ("A. Stillmaker, B. Baas, 'Scaling equations for the accurate prediction of CMOS device "
            "performance from 180 nm to 7 nm', Integration, the VLSI Journal 58 (2017) 74-81, "
            "doi:10.1016/j.vlsi.2017.02.002 (and its corrigendum): energy fit E = aV^2+bV+c "
            "(Table 5), power fit P = aV^2+bV+c and node-to-node area factors, high-performance "
            "fits below 65 nm, nodes between the paper's interpolated geometrically in log(node) "
            "(docs/energy-area.md, Node scaling)")


def bracket(nm):
    """(larger-node index, smaller-node index, weight of the smaller) as in tech_scale.cpp."""
    if not (NODES[-1] <= nm <= NODES[0]):
        raise SystemExit(f"node {nm} nm is outside the Stillmaker & Baas range 7..180 nm")
    for i in range(len(NODES) - 1):
        if nm == NODES[i]:
            return i, i, 0.0
        if nm > NODES[i + 1]:
            return i, i + 1, math.log(NODES[i] / nm) / math.log(NODES[i] / NODES[i + 1])
    return len(NODES) - 1, len(NODES) - 1, 0.0


def fit_at(table, nm, v):
    i0, i1, t = bracket(nm)
    f0, f1 = (a * v * v + b * v + c for a, b, c in (table[i0], table[i1]))
    if not (f0 > 0 and f1 > 0):
        raise SystemExit(f"fit not positive at {nm} nm, {v} V")
    return math.exp((1 - t) * math.log(f0) + t * math.log(f1))


def area_factor(from_nm, to_nm):
    x0, x1, s = bracket(from_nm)
    y0, y1, t = bracket(to_nm)
    total = 0.0
    for xi, xw in ((x0, 1 - s), (x1, s)):
        for yi, yw in ((y0, 1 - t), (y1, t)):
            total += xw * yw * math.log(AREA[xi][yi])
    return math.exp(total)


def factors(from_nm, from_vdd, to_nm, to_vdd):
    ke = fit_at(ENERGY, to_nm, to_vdd) / fit_at(ENERGY, from_nm, from_vdd)
    kp = fit_at(POWER, to_nm, to_vdd) / fit_at(POWER, from_nm, from_vdd)
    return ke, kp, area_factor(from_nm, to_nm)


def num(x):
    """Ten significant digits: within 1e-9 relative of the double, readable in the file."""
    return float(f"{x:.10g}")


def node_str(x):
    return f"{x:g}"


SRAM_KEYS = ("capacity_bytes", "width_bits", "banks", "read_pj", "write_pj", "area_mm2",
             "leakage_mw", "source")


def scaled_source(sources, key, from_nm, from_vdd, to_nm, to_vdd):
    """(key, citation) of a scaled value's source: '<key>+stillmaker17', the original citation
    followed by the scaling applied (as scale_tech in sim/cost/tech_scale.cpp writes it)."""
    how = (f"; scaled from {node_str(from_nm)} nm, {node_str(from_vdd)} V to "
           f"{node_str(to_nm)} nm, {node_str(to_vdd)} V with {KEY}")
    return f"{key}+{KEY}", sources.get(key, key) + how


def scale_sram(t, to_nm, to_vdd):
    """The sram entries of table `t` (a dict as yaml.safe_load reads a tpesim-tech file; only
    node_nm, vdd, sources and sram are used) moved to `to_nm`, `to_vdd`: energies x k_E, area
    x k_A, leakage x k_P, source '<key>+stillmaker17'. Returns (entries, sources) where sources
    maps every key the entries name, and stillmaker17, to its citation. This is the rule scale()
    applies to the sram list; tools/tech/ihp_calibrate.py uses it for the 130 nm table."""
    ke, kp, ka = factors(t["node_nm"], t["vdd"], to_nm, to_vdd)
    src = {KEY: CITATION}
    out = []
    for s in t.get("sram", []):
        k, cite = scaled_source(t["sources"], s["source"], t["node_nm"], t["vdd"], to_nm, to_vdd)
        src[k] = cite
        out.append(dict(s, read_pj=num(s["read_pj"] * ke), write_pj=num(s["write_pj"] * ke),
                        area_mm2=num(s["area_mm2"] * ka), leakage_mw=num(s["leakage_mw"] * kp),
                        source=k))
    return out, src


def scale(t, to_nm, to_vdd):
    ke, kp, ka = factors(t["node_nm"], t["vdd"], to_nm, to_vdd)
    src = dict(t["sources"])
    src[KEY] = CITATION

    def scaled(key):
        k, src[k] = scaled_source(t["sources"], key, t["node_nm"], t["vdd"], to_nm, to_vdd)
        return k

    name = t["name"]
    old, new = f"{node_str(t['node_nm'])}nm", f"{node_str(to_nm)}nm"
    name = name.replace(old, new, 1) if old in name else f"{name}-scaled-{new}"
    out = {"name": name, "node_nm": to_nm, "vdd": to_vdd, "sources": src}
    out["ops"] = [dict(o, pj=num(o["pj"] * ke), source=scaled(o["source"])) for o in t["ops"]]
    out["sram"], sram_src = scale_sram(t, to_nm, to_vdd)
    src.update(sram_src)
    out["dram"] = [dict(d) for d in t.get("dram", [])]  # not scaled (docs: Node scaling)
    leak = t["logic_leakage"]
    out["logic_leakage"] = {"mw_per_mm2": num(leak["mw_per_mm2"] * kp / ka),
                            "source": scaled(leak["source"])}
    out["nand2"] = {"um2": num(t["nand2"]["um2"] * ka), "source": scaled(t["nand2"]["source"])}
    if "sram_array_efficiency" in t:
        out["sram_array_efficiency"] = dict(t["sram_array_efficiency"])  # a ratio: not scaled
    return out, (ke, kp, ka)


def flow(d, keys):
    def v(x):
        if isinstance(x, str):
            return x
        return repr(x) if isinstance(x, float) else str(x)
    return "{" + ", ".join(f"{k}: {v(d[k])}" for k in keys if k in d) + "}"


def quote(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(out, from_path, ks):
    ke, kp, ka = ks
    q = quote
    lines = [
        "# tpesim-tech v1",
        f"# Generated by tools/tech/scale_table.py from {from_path} (do not edit by hand):",
        f"# energy x {ke:.6g}, area x {ka:.6g}, leakage power x {kp:.6g}"
        f" (leakage density x {kp / ka:.6g}); DRAM and sram_array_efficiency unchanged.",
        f"name: {out['name']}",
        f"node_nm: {out['node_nm']:g}",
        f"vdd: {out['vdd']:g}",
        "sources:",
    ]
    lines += [f"  {k}: {q(v)}" for k, v in out["sources"].items()]
    lines.append("ops:")
    lines += [f"  - {flow(o, ('op', 'bits', 'pj', 'source'))}" for o in out["ops"]]
    lines.append("sram:")
    lines += [f"  - {flow(s, SRAM_KEYS)}" for s in out["sram"]]
    lines.append("dram:")
    lines += [f"  - {flow(d, ('type', 'pj_per_bit', 'source'))}" for d in out["dram"]]
    lines.append(f"logic_leakage: {flow(out['logic_leakage'], ('mw_per_mm2', 'source'))}")
    lines.append(f"nand2: {flow(out['nand2'], ('um2', 'source'))}")
    if "sram_array_efficiency" in out:
        lines.append("sram_array_efficiency: "
                     f"{flow(out['sram_array_efficiency'], ('value', 'source'))}")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    import yaml  # only the command line needs PyYAML: ihp_calibrate.py imports this module
    src, to_nm, to_vdd, dst = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    with open(src) as f:
        table = yaml.safe_load(f)
    out, ks = scale(table, to_nm, to_vdd)
    text = render(out, src, ks)
    if yaml.safe_load(text)["sources"] != out["sources"]:
        raise SystemExit("internal error: the written sources do not read back")
    with open(dst, "w") as f:
        f.write(text)
    ke, kp, ka = ks
    print(f"energy x {ke:.6g}, area x {ka:.6g}, leakage power x {kp:.6g} -> {dst}")


if __name__ == "__main__":
    main()
