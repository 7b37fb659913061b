#!/usr/bin/python3
"""Energy breakdown per layer of a tpesim run, as a stacked bar chart (PNG or SVG).

One command for the default job:
    tools/plot_energy.py                       # runs build/tpesim run, writes energy.png
Other runs:
    tools/plot_energy.py --report out/report.json --out energy.svg
    tools/plot_energy.py --tpesim build/tpesim --out e.png -- --arch A.yaml --workload W.csv

Bars are the report's layers (energy of all `count` instances), stacks its energy
components (docs/energy-area.md); the title names the technology table and the totals.
Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_tpesim(tpesim, extra):
    """Runs `tpesim run --quiet --out DIR [extra]` and returns the parsed report.json."""
    with tempfile.TemporaryDirectory() as d:
        cmd = [tpesim, "run", "--quiet", "--out", d] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"plot_energy: {' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
        with open(os.path.join(d, "report.json")) as f:
            return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", help="report.json to plot (default: run tpesim)")
    ap.add_argument("--tpesim", default=os.path.join(ROOT, "build", "tpesim"), help="tpesim binary")
    ap.add_argument("--out", default="energy.png", help="output file (.png or .svg)")
    ap.add_argument("extra", nargs="*", help="arguments passed to `tpesim run` (after --)")
    a = ap.parse_args()
    if not a.out.endswith((".png", ".svg")):
        sys.exit(f"plot_energy: --out {a.out}: give a .png or .svg file")
    if a.report:
        try:
            with open(a.report) as f:
                rep = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            sys.exit(f"plot_energy: {a.report}: {e}")
    else:
        rep = run_tpesim(a.tpesim, a.extra)
    layers = rep.get("layers", [])
    if not layers or "energy_pj" not in layers[0]:
        sys.exit("plot_energy: the report has no per-layer energy (tpesim older than the energy model?)")
    comps = sorted({c for l in layers for c in l["energy_pj"]})
    names = [l["name"] for l in layers]
    # Left: energy of each layer; right: each layer's split in percent (small layers stay readable).
    fig, (ax, axp) = plt.subplots(1, 2, figsize=(max(8.0, 1.6 * len(names) + 4), 4.8))
    bottom = [0.0] * len(layers)
    bottom_p = [0.0] * len(layers)
    totals = [sum(l["energy_pj"].values()) or 1.0 for l in layers]
    cmap = plt.get_cmap("tab20")
    for i, c in enumerate(comps):
        pj = [l["energy_pj"].get(c, 0.0) for l in layers]
        vals = [v / 1e6 for v in pj]  # uJ
        pct = [100.0 * v / t for v, t in zip(pj, totals)]
        ax.bar(names, vals, bottom=bottom, label=c, color=cmap(i % 20))
        axp.bar(names, pct, bottom=bottom_p, color=cmap(i % 20))
        bottom = [b + v for b, v in zip(bottom, vals)]
        bottom_p = [b + v for b, v in zip(bottom_p, pct)]
    costs = rep.get("costs", {})
    ax.set_ylabel("energy (uJ, all instances)")
    axp.set_ylabel("share of the layer's energy (%)")
    axp.set_ylim(0, 100)
    fig.suptitle(
        f"{rep['arch']['name']} on {rep['workload']['name']}: {costs.get('energy_total_pj', 0) / 1e6:.4g} uJ, "
        f"{costs.get('pj_per_mac', 0):.3g} pJ/MAC, {costs.get('tops_per_w', 0):.3g} TOPS/W ({costs.get('tech', '?')})",
        fontsize=10,
    )
    axp.legend(*ax.get_legend_handles_labels(), fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for a_ in (ax, axp):
        plt.setp(a_.get_xticklabels(), rotation=30, ha="right", fontsize=8)
    fig.tight_layout()
    # Deterministic files: no creation date in the metadata.
    meta = {"Date": None} if a.out.endswith(".svg") else {"Software": None}
    fig.savefig(a.out, metadata=meta)
    print(f"plot_energy: wrote {a.out}")


if __name__ == "__main__":
    main()
