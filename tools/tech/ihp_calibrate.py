#!/usr/bin/env python3
"""Calibrates per-operation energies of the IHP SG13G2 (130 nm) technology table.

For each reference circuit (tools/tech/circuits/*.v: integer adders and multipliers, FP16/FP32
adders and multipliers, a register bank) the tool

  1. synthesises it with yosys against the standard-cell liberty
     (read_verilog; chparam; synth -flatten -top X; dfflibmap; abc -liberty; opt_clean; stat),
  2. simulates the gate-level netlist on N random operand pairs (fixed seed) with the cells'
     logic functions taken from the liberty (`function`, `ff` groups): a zero-delay,
     bit-parallel simulation (one Python integer per net, one bit per vector); every simulated
     result is checked against an exact model of the operation, on the energy stimulus and on a
     separate verification set of random and directed (special-value) operands,
  3. prices every transition: the internal energy of the cell for that transition from the
     liberty's internal_power rise_power/fall_power tables (pF*V^2 = pJ), looked up at a fixed
     input slew and the net's actual load (the capacitance of the pins it drives), plus
     0.5 * C * Vdd^2 switching energy per toggle of every net (C = the pins it drives),
     and divides by the number of operations.

It writes the technology table (docs/energy-area.md, format tpesim-tech v1) and a per-circuit
detail file (<out>.calib.json: cells, area, leakage, toggles and energy per operation, by cell
type). Rerunning with the same liberty, yosys and settings reproduces both files byte for byte.
`--check NAME` reruns one circuit and compares it with the shipped detail file (CTest
tech_ihp_calibration_fresh); docs/energy-area.md describes the method and its approximations.
The table's sram entries are not calibrated (CACTI 7 has no 130 nm technology): they are the
45 nm CACTI entries of models/tech/generic_45nm.yaml moved to 130 nm and the liberty's supply by
the Stillmaker & Baas rule of tools/tech/scale_table.py (scale_sram), which sim/cost/tech_scale.cpp
implements too; dram is copied from the same table.

Usage (from the repository root):
  /usr/bin/python3 tools/tech/ihp_calibrate.py \\
      --liberty models/tech/ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib \\
      --out models/tech/ihp_sg13g2_130nm.yaml
  /usr/bin/python3 tools/tech/ihp_calibrate.py --check int_add_8
Standard library only (Python >= 3.8); needs yosys on PATH (or $YOSYS).
"""

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_table  # noqa: E402  (Stillmaker & Baas node scaling of the 45 nm sram entries)
DEFAULT_LIBERTY = "models/tech/ihp-sg13g2/sg13g2_stdcell_typ_1p20V_25C.lib"
DEFAULT_OUT = "models/tech/ihp_sg13g2_130nm.yaml"
GENERIC_45NM = "models/tech/generic_45nm.yaml"
FORMAT = "tpesim-ihp-calib v1"

# Calibration settings (recorded in the outputs; --check reruns with the recorded ones).
DEFAULT_N = 2000          # operations per circuit (energy stimulus)
DEFAULT_SEED = 20240314   # base seed; each circuit draws from Random("<seed>:<circuit>")
DEFAULT_SLEW_NS = 0.1     # input transition time for every internal_power lookup
PO_LOAD_CELL = ("sg13g2_dfrbp_1", "D")  # a primary output drives one register D pin
N_VERIFY = 3000           # random verification operands per circuit (plus directed ones)


def fail(msg):
    sys.stderr.write("ihp_calibrate: error: " + msg + "\n")
    sys.exit(1)


# ---------------------------------------------------------------------------------------------
# Liberty reader: groups `name (args) { ... }`, simple attributes `name : value ;` and complex
# attributes `name (args) ;`.
# ---------------------------------------------------------------------------------------------
_TOK = re.compile(r'"(?:[^"\\]|\\.)*"|[(){}:;,]|[^\s(){}:;,"]+')


class Group:
    __slots__ = ("type", "args", "attrs", "cplx", "groups")

    def __init__(self, gtype, args):
        self.type, self.args = gtype, args
        self.attrs, self.cplx, self.groups = {}, {}, []

    def sub(self, gtype):
        return [g for g in self.groups if g.type == gtype]


def unquote(s):
    return s[1:-1] if len(s) >= 2 and s[0] == '"' and s[-1] == '"' else s


def parse_liberty(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")
    toks = _TOK.findall(text)
    root = Group("<root>", [])
    stack = [root]
    pos, n = 0, len(toks)
    while pos < n:
        t = toks[pos]
        if t == "}":
            stack.pop()
            pos += 1
            continue
        nxt = toks[pos + 1] if pos + 1 < n else ""
        if nxt == ":":
            j = pos + 2
            vals = []
            while toks[j] != ";":
                vals.append(toks[j])
                j += 1
            stack[-1].attrs[t] = unquote(" ".join(vals))
            pos = j + 1
        elif nxt == "(":
            j = pos + 2
            args = []
            while toks[j] != ")":
                if toks[j] != ",":
                    args.append(unquote(toks[j]))
                j += 1
            j += 1
            if j < n and toks[j] == "{":
                g = Group(t, args)
                stack[-1].groups.append(g)
                stack.append(g)
                pos = j + 1
            else:
                stack[-1].cplx.setdefault(t, []).append(args)
                pos = j + 1 if (j < n and toks[j] == ";") else j
        else:
            raise SyntaxError("liberty: unexpected token %r before %r" % (t, nxt))
    libs = root.sub("library")
    if len(libs) != 1:
        raise SyntaxError("liberty: expected one library group")
    return libs[0]


# ---------------------------------------------------------------------------------------------
# Liberty boolean expressions (function, when, next_state, clocked_on, clear, preset):
# ! and ' invert, ^ xor, * & and juxtaposition and, + | or (precedence in that order).
# Compiled to Python over bit-parallel integers; M is the all-ones mask for inversion.
# ---------------------------------------------------------------------------------------------
_ETOK = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*|[01]|[!'*&+|^()])")


def compile_expr(src):
    """Returns (python expression text over pin names and M, sorted list of pin names)."""
    toks = []
    pos = 0
    src = src.strip()
    while pos < len(src):
        m = _ETOK.match(src, pos)
        if not m:
            if src[pos:].strip() == "":
                break
            raise SyntaxError("liberty expression %r at %d" % (src, pos))
        toks.append(m.group(1))
        pos = m.end()
    names = set()
    i = 0

    def peek():
        return toks[i] if i < len(toks) else None

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def primary():
        t = take()
        if t == "!":
            e = "(%s ^ M)" % primary()
        elif t == "(":
            e = or_expr()
            if take() != ")":
                raise SyntaxError("liberty expression %r: missing )" % src)
        elif t == "0":
            e = "0"
        elif t == "1":
            e = "M"
        elif t and (t[0].isalpha() or t[0] == "_"):
            names.add(t)
            e = t
        else:
            raise SyntaxError("liberty expression %r: unexpected %r" % (src, t))
        while peek() == "'":
            take()
            e = "(%s ^ M)" % e
        return e

    def xor_expr():
        e = primary()
        while peek() == "^":
            take()
            e = "(%s ^ %s)" % (e, primary())
        return e

    def and_expr():
        e = xor_expr()
        while True:
            t = peek()
            if t in ("*", "&"):
                take()
            elif t is None or t in ("+", "|", ")"):
                return e
            e = "(%s & %s)" % (e, xor_expr())

    def or_expr():
        e = and_expr()
        while peek() in ("+", "|"):
            take()
            e = "(%s | %s)" % (e, and_expr())
        return e

    e = or_expr()
    if i != len(toks):
        raise SyntaxError("liberty expression %r: trailing tokens" % src)
    return e, sorted(names)


class Expr:
    """A compiled liberty expression: call with M and a dict of pin values."""

    __slots__ = ("src", "pins", "fn")

    def __init__(self, src):
        self.src = src
        code, self.pins = compile_expr(src)
        self.fn = eval("lambda M%s: %s" % ("".join(", " + p for p in self.pins), code))

    def __call__(self, M, env):
        return self.fn(M, *[env[p] for p in self.pins])


# ---------------------------------------------------------------------------------------------
# Cell models from the liberty: function, ff, pin capacitances, internal power tables.
# ---------------------------------------------------------------------------------------------
class Table:
    """A power table: value(slew) for input-pin (passive) tables, value(slew, load) for output
    pins; piecewise-bilinear interpolation, clamped to the table's index range."""

    def __init__(self, group, templates):
        tmpl = templates.get(group.args[0]) if group.args else None
        variables = []
        idx = {}
        if tmpl is not None:
            for k in ("variable_1", "variable_2"):
                if k in tmpl.attrs:
                    variables.append(tmpl.attrs[k])
            for k in ("index_1", "index_2"):
                if k in tmpl.cplx:
                    idx[k] = [float(v) for v in tmpl.cplx[k][0][0].split(",")]
        for k in ("index_1", "index_2"):
            if k in group.cplx:
                idx[k] = [float(v) for v in group.cplx[k][0][0].split(",")]
        rows = [[float(v) for v in r.split(",")] for r in group.cplx["values"][0]]
        self.axes = []  # (variable, index list)
        for n, k in enumerate(("index_1", "index_2")):
            if k in idx:
                self.axes.append((variables[n] if n < len(variables) else k, idx[k]))
        self.rows = rows

    @staticmethod
    def _bracket(index, x):
        if len(index) == 1 or x <= index[0]:
            return 0, 0, 0.0
        if x >= index[-1]:
            return len(index) - 1, len(index) - 1, 0.0
        for j in range(len(index) - 1):
            if index[j] <= x <= index[j + 1]:
                return j, j + 1, (x - index[j]) / (index[j + 1] - index[j])
        raise AssertionError

    def value(self, slew, load):
        if not self.axes:
            return self.rows[0][0]
        coords = []
        for var, index in self.axes:
            if var in ("input_transition_time", "input_net_transition"):
                coords.append(self._bracket(index, slew))
            elif var in ("total_output_net_capacitance",):
                coords.append(self._bracket(index, load))
            else:
                raise ValueError("unsupported power table variable " + var)
        if len(coords) == 1:
            vals = self.rows[0] if len(self.rows) == 1 else [r[0] for r in self.rows]
            a, b, f = coords[0]
            return vals[a] + (vals[b] - vals[a]) * f
        (a0, a1, fa), (b0, b1, fb) = coords
        r = self.rows
        v0 = r[a0][b0] + (r[a0][b1] - r[a0][b0]) * fb
        v1 = r[a1][b0] + (r[a1][b1] - r[a1][b0]) * fb
        return v0 + (v1 - v0) * fa


class PowerGroup:
    __slots__ = ("when", "rise", "fall")

    def __init__(self, when, rise, fall):
        self.when, self.rise, self.fall = when, rise, fall


class CellModel:
    def __init__(self, g, templates):
        self.name = g.args[0]
        self.area = float(g.attrs.get("area", 0))
        self.leakage_pw = float(g.attrs.get("cell_leakage_power", 0))
        self.inputs = {}       # pin -> capacitance (pF)
        self.outputs = {}      # pin -> Expr
        self.out_power = {}    # out pin -> {related pin -> [PowerGroup]}
        self.in_power = {}     # in pin -> [PowerGroup]
        self.ff = None
        for ffg in g.sub("ff"):
            self.ff = {
                "iq": ffg.args[0], "iqn": ffg.args[1],
                "clocked_on": Expr(ffg.attrs["clocked_on"]),
                "next_state": Expr(ffg.attrs["next_state"]),
                "clear": Expr(ffg.attrs["clear"]) if "clear" in ffg.attrs else None,
                "preset": Expr(ffg.attrs["preset"]) if "preset" in ffg.attrs else None,
            }
        self.is_latch = bool(g.sub("latch"))
        for p in g.sub("pin"):
            name = p.args[0]
            d = p.attrs.get("direction")
            groups = p.sub("internal_power")
            if d == "input":
                self.inputs[name] = float(p.attrs.get("capacitance", 0))
                if groups:
                    self.in_power[name] = [self._pg(ip, templates) for ip in groups]
            elif d == "output":
                if "function" in p.attrs:
                    self.outputs[name] = Expr(p.attrs["function"])
                rel = {}
                for ip in groups:
                    rel.setdefault(ip.attrs["related_pin"], []).append(self._pg(ip, templates))
                self.out_power[name] = rel

    @staticmethod
    def _pg(ip, templates):
        when = Expr(ip.attrs["when"]) if "when" in ip.attrs else None
        rise = ip.sub("rise_power")
        fall = ip.sub("fall_power")
        return PowerGroup(when, Table(rise[0], templates) if rise else None,
                          Table(fall[0], templates) if fall else None)


class Library:
    def __init__(self, path):
        with open(path, "rb") as f:
            raw = f.read()
        self.sha256 = hashlib.sha256(raw).hexdigest()
        g = parse_liberty(raw.decode("utf-8"))
        self.name = g.args[0]
        self.revision = g.attrs.get("revision", "").replace("$", "").replace("Revision:", "").strip()
        self.date = g.attrs.get("date", "").replace("$", "").replace("Date:", "").strip()
        self.vdd = float(g.attrs.get("nom_voltage", 0))
        for unit, want in (("capacitive_load_unit", None), ("leakage_power_unit", "1pW"),
                           ("time_unit", "1ns"), ("voltage_unit", "1V")):
            if unit == "capacitive_load_unit":
                cl = g.cplx.get(unit, [["?", "?"]])[0]
                if [c.lower() for c in cl] != ["1", "pf"]:
                    raise ValueError("liberty: capacitive_load_unit %s, expected (1,pf)" % cl)
            elif g.attrs.get(unit) != want:
                raise ValueError("liberty: %s %s, expected %s" % (unit, g.attrs.get(unit), want))
        # wire-load model (used only for the wire-capacitance sensitivity figure)
        self.wire_loads = {}
        for w in g.sub("wire_load"):
            pts = sorted((float(a), float(b)) for a, b in w.cplx.get("fanout_length", []))
            self.wire_loads[w.args[0]] = (float(w.attrs["capacitance"]), float(w.attrs["slope"]), pts)
        self.wire_load_selection = []
        sel_name = g.attrs.get("default_wire_load_selection")
        for sel in g.sub("wire_load_selection"):
            if sel.args[0] == sel_name:
                self.wire_load_selection = [(float(a), float(b), c) for a, b, c in sel.cplx["wire_load_from_area"]]
        self.default_wire_load = g.attrs.get("default_wire_load")
        templates = {t.args[0]: t for t in g.groups
                     if t.type in ("power_lut_template", "lu_table_template")}
        self.cells = {}
        for c in g.sub("cell"):
            self.cells[c.args[0]] = CellModel(c, templates)


    def wire_load_for_area(self, area):
        """(name, capacitance per unit length, slope, fanout_length points) of the wire-load
        model the library's default selection assigns to a design of this cell area."""
        name = self.default_wire_load
        for lo, hi, wl in self.wire_load_selection:
            if lo <= area < hi:
                name = wl
        cap, slope, pts = self.wire_loads[name]
        return (name, cap, slope, pts)

    @staticmethod
    def wire_cap(wl, fanout):
        """Estimated wire capacitance (pF) of a net with `fanout` pins: the wire-load model's
        length for that fanout (interpolated; beyond its last point extended with its slope)."""
        _, cap, slope, pts = wl
        if fanout <= 0 or not pts:
            return 0.0
        f0, l0 = pts[0]
        if fanout <= f0:
            length = l0 * fanout / f0
        elif fanout >= pts[-1][0]:
            length = pts[-1][1] + (fanout - pts[-1][0]) * slope
        else:
            for (fa, la), (fb, lb) in zip(pts, pts[1:]):
                if fa <= fanout <= fb:
                    length = la + (lb - la) * (fanout - fa) / (fb - fa)
                    break
        return cap * length


# ---------------------------------------------------------------------------------------------
# Synthesis (yosys) and the gate-level netlist.
# ---------------------------------------------------------------------------------------------
def yosys_bin():
    y = os.environ.get("YOSYS") or shutil.which("yosys")
    if not y:
        fail("yosys not found (PATH or $YOSYS)")
    return y


def yosys_version():
    out = subprocess.run([yosys_bin(), "-V"], capture_output=True, text=True, check=True).stdout
    return out.strip()


YOSYS_SCRIPT = ("read_verilog {files}; chparam {params} {top}; synth -flatten -top {top}; "
                "dfflibmap -liberty {lib}; abc -liberty {lib}; opt_clean; stat -liberty {lib}; "
                "write_verilog -noattr netlist.v; write_json netlist.json")


def yosys_script(files, top, params, liberty):
    return YOSYS_SCRIPT.format(files=" ".join(files), top=top, lib=liberty,
                               params=" ".join("-set %s %d" % kv for kv in sorted(params.items())))


def synthesize(circ, liberty_abs, workdir):
    files = [os.path.join(ROOT, f) for f in circ["files"]]
    script = yosys_script(files, circ["top"], circ["params"], liberty_abs)
    os.makedirs(workdir, exist_ok=True)
    r = subprocess.run([yosys_bin(), "-q", "-l", "yosys.log", "-p", script], cwd=workdir,
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("yosys failed on %s (log: %s):\n%s" % (circ["name"], os.path.join(workdir, "yosys.log"),
                                                   r.stderr[-3000:]))
    with open(os.path.join(workdir, "netlist.json")) as f:
        j = json.load(f)
    return j["modules"][circ["top"]]


class Netlist:
    """A flat gate-level netlist of liberty cells. Nets are yosys bit numbers; the constants
    are the nets "0" and "1"."""

    def __init__(self, module, lib, name):
        self.name = name
        self.inputs, self.outputs = {}, {}  # port -> [net, lsb first]
        for pname, p in module["ports"].items():
            (self.inputs if p["direction"] == "input" else self.outputs)[pname] = p["bits"]
            if p["direction"] not in ("input", "output"):
                raise ValueError("%s: port %s is %s" % (name, pname, p["direction"]))
        self.cells = []  # (instance name, CellModel, {pin: net})
        for iname in sorted(module["cells"]):
            c = module["cells"][iname]
            model = lib.cells.get(c["type"])
            if model is None:
                raise ValueError("%s: cell type %s is not in the liberty" % (name, c["type"]))
            if model.is_latch:
                raise ValueError("%s: latch %s not supported" % (name, c["type"]))
            conn = {}
            for pin, bits in c["connections"].items():
                if len(bits) != 1:
                    raise ValueError("%s: %s.%s is %d bits" % (name, iname, pin, len(bits)))
                b = bits[0]
                if b in ("x", "z"):
                    raise ValueError("%s: %s.%s is undriven (%s)" % (name, iname, pin, b))
                conn[pin] = b
            self.cells.append((iname, model, conn))
        # drivers, fanout capacitance
        self.driver = {}
        for n in [b for bits in self.inputs.values() for b in bits]:
            self.driver[n] = ("<input>", None)
        for idx, (iname, model, conn) in enumerate(self.cells):
            for pin in model.outputs:
                if pin in conn:
                    n = conn[pin]
                    if n in self.driver or isinstance(n, str):
                        raise ValueError("%s: net %s has two drivers" % (name, n))
                    self.driver[n] = (iname, pin)
        self.cap = {}  # net -> capacitance of the cell pins it drives (pF)
        for iname, model, conn in self.cells:
            for pin, cap in model.inputs.items():
                if pin not in conn:
                    raise ValueError("%s: %s.%s unconnected" % (name, iname, pin))
                n = conn[pin]
                if not isinstance(n, str) and n not in self.driver:
                    raise ValueError("%s: net %s (%s.%s) has no driver" % (name, n, iname, pin))
                self.cap[n] = self.cap.get(n, 0.0) + cap
        self.po_nets = set(b for bits in self.outputs.values() for b in bits if not isinstance(b, str))
        for n in self.po_nets:
            if n not in self.driver:
                raise ValueError("%s: output net %s has no driver" % (name, n))
        # topological order of the combinational cells (flip-flop outputs are sources)
        ready = {"0", "1"} | set(n for n, d in self.driver.items() if d[0] == "<input>")
        for iname, model, conn in self.cells:
            if model.ff is not None:
                ready.update(conn[p] for p in model.outputs if p in conn)
        pending = [c for c in self.cells if c[1].ff is None]
        self.comb_order = []
        while pending:
            rest = []
            for c in pending:
                if all(c[2][p] in ready for p in c[1].inputs):
                    self.comb_order.append(c)
                    ready.update(c[2][p] for p in c[1].outputs if p in c[2])
                else:
                    rest.append(c)
            if len(rest) == len(pending):
                raise ValueError("%s: combinational loop" % name)
            pending = rest
        self.ffs = [c for c in self.cells if c[1].ff is not None]

    def area(self):
        return sum(m.area for _, m, _ in self.cells)

    def leakage_pw(self):
        return sum(m.leakage_pw for _, m, _ in self.cells)

    def cell_counts(self):
        out = {}
        for _, m, _ in self.cells:
            out[m.name] = out.get(m.name, 0) + 1
        return out


# ---------------------------------------------------------------------------------------------
# Simulation. A net's history is an integer whose bit k is the net's value in snapshot k.
# ---------------------------------------------------------------------------------------------
def port_histories(netlist, vectors):
    """vectors: list of {port: int}. Returns {net: history} for the input nets."""
    hist = {}
    for port, bits in netlist.inputs.items():
        vals = [v[port] for v in vectors]
        for j, n in enumerate(bits):
            h = 0
            for k, x in enumerate(vals):
                if (x >> j) & 1:
                    h |= 1 << k
            hist[n] = h
    return hist


def simulate_comb(netlist, vectors):
    """Zero-delay, bit-parallel simulation of a combinational netlist over all vectors."""
    if netlist.ffs:
        raise ValueError("%s: sequential netlist" % netlist.name)
    T = len(vectors)
    M = (1 << T) - 1
    hist = port_histories(netlist, vectors)
    hist["0"], hist["1"] = 0, M
    for _, model, conn in netlist.comb_order:
        env = {p: hist[conn[p]] for p in model.inputs}
        for pin, fn in model.outputs.items():
            if pin in conn:
                hist[conn[pin]] = fn(M, env) & M
    return hist, T


def simulate_seq(netlist, snapshots):
    """Zero-delay, event-by-event simulation of a netlist with flip-flops: one settled state
    per input snapshot; a flip-flop loads next_state (evaluated on the previous snapshot's
    values) on a rising edge of clocked_on; clear/preset act asynchronously."""
    T = len(snapshots)
    val = {"0": 0, "1": 1}
    state = {}
    for iname, model, conn in netlist.ffs:
        state[iname] = 0
    hist = {}
    prev = None
    for k, snap in enumerate(snapshots):
        for port, bits in netlist.inputs.items():
            for j, n in enumerate(bits):
                val[n] = (snap[port] >> j) & 1
        for iname, model, conn in netlist.ffs:
            ff = model.ff
            env = {p: val[conn[p]] for p in model.inputs}
            if prev is not None:
                penv = {p: prev[conn[p]] for p in model.inputs}
                if ff["clocked_on"](1, env) and not ff["clocked_on"](1, penv):
                    state[iname] = ff["next_state"](1, penv) & 1
            if ff["clear"] is not None and ff["clear"](1, env) & 1:
                state[iname] = 0
            if ff["preset"] is not None and ff["preset"](1, env) & 1:
                state[iname] = 1
            fenv = {ff["iq"]: state[iname], ff["iqn"]: 1 - state[iname]}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    val[conn[pin]] = fn(1, fenv) & 1
        for _, model, conn in netlist.comb_order:
            env = {p: val[conn[p]] for p in model.inputs}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    val[conn[pin]] = fn(1, env) & 1
        for n, v in val.items():
            if v:
                hist[n] = hist.get(n, 0) | (1 << k)
            else:
                hist.setdefault(n, 0)
        prev = dict(val)
    hist["0"], hist["1"] = 0, (1 << T) - 1
    return hist, T


def outputs_at(netlist, hist, k):
    """The output ports' values in simulated cycle k (bit k of every net's history)."""
    v = {}
    for port, bits in netlist.outputs.items():
        x = 0
        for j, n in enumerate(bits):
            if (hist[n] >> k) & 1:
                x |= 1 << j
        v[port] = x
    return v


def output_values(netlist, hist, T):
    return [outputs_at(netlist, hist, k) for k in range(T)]


# ---------------------------------------------------------------------------------------------
# Energy of the transitions between consecutive snapshots.
# ---------------------------------------------------------------------------------------------
def popcount(x):
    return bin(x).count("1")


def select_groups(groups, M, env_prev):
    """Partitions the events M among a pin's power groups: `when` groups first (evaluated on
    the pin values before the transition), the group without `when` takes the rest; without
    one, the rest is priced at the mean of the `when` groups. Returns [(mask, PowerGroup or
    list of PowerGroup to average)]."""
    out = []
    covered = 0
    default = None
    for g in groups:
        if g.when is None:
            default = g
            continue
        m = g.when(M, env_prev) & M & ~covered
        covered |= m
        if m:
            out.append((m, g))
    rest = M & ~covered
    if rest:
        out.append((rest, default if default is not None else [g for g in groups if g.when]))
    return out


def group_energy(g, edge, slew, load):
    if isinstance(g, list):
        return sum(group_energy(x, edge, slew, load) for x in g) / len(g)
    t = g.rise if edge == "rise" else g.fall
    return t.value(slew, load) if t is not None else 0.0


class Loads:
    """Per-net capacitances: `switch` (the pins the net drives, plus wire capacitance in the
    wire-load variant) is charged by each toggle; `lookup` (that plus one register D pin on a
    primary output) indexes the driving cell's internal_power tables."""

    def __init__(self, netlist, lib, wire_load=False):
        po_load = lib.cells[PO_LOAD_CELL[0]].inputs[PO_LOAD_CELL[1]]
        fanout = {}
        for _, model, conn in netlist.cells:
            for pin in model.inputs:
                fanout[conn[pin]] = fanout.get(conn[pin], 0) + 1
        for n in netlist.po_nets:
            fanout[n] = fanout.get(n, 0) + 1
        wl = lib.wire_load_for_area(netlist.area()) if wire_load else None
        self.wire_load_name = wl[0] if wl else None
        self.switch, self.lookup = {}, {}
        for n in set(netlist.cap) | netlist.po_nets:
            if isinstance(n, str):
                continue
            wire = lib.wire_cap(wl, fanout.get(n, 0)) if wl else 0.0
            c = netlist.cap.get(n, 0.0) + wire
            self.switch[n] = c
            self.lookup[n] = c + (po_load if n in netlist.po_nets else 0.0)


class Tally:
    """Accumulated energy (pJ) and toggles of one circuit's transitions."""

    def __init__(self):
        self.internal = 0.0
        self.switching = 0.0
        self.by_type = {}
        self.cell_out_toggles = 0
        self.input_toggles = 0
        self.unattributed = 0


def price(netlist, lib, slew, M, pc, cause, loads, tally, cells=None, pi_nets=frozenset()):
    """Prices one set of parallel transitions (bit j of every mask is one event).

    pc[net] = (value before, value after); cause[net]: the toggles that make a cell's output
    switch in these events (zero-delay: the same transitions; unit-delay: the previous step's).
    Internal energy: every input-pin transition (passive tables, selected by `when` on the
    values before), every output transition at its load, attributed to the related pins that
    switched (mean of their tables); switching energy 0.5*C*Vdd^2 per net toggle."""
    vdd2 = lib.vdd * lib.vdd
    for iname, model, conn in (netlist.cells if cells is None else cells):
        e_cell = 0.0
        tog_cell = 0
        env_prev = {pin: pc[n][0] for pin, n in conn.items()}
        for pin, groups in model.in_power.items():
            p, c = pc[conn[pin]]
            rise, fall = c & ~p, p & ~c
            if not (rise | fall):
                continue
            for mask, g in select_groups(groups, M, env_prev):
                nr, nf = popcount(rise & mask), popcount(fall & mask)
                if nr:
                    e_cell += nr * group_energy(g, "rise", slew, 0.0)
                if nf:
                    e_cell += nf * group_energy(g, "fall", slew, 0.0)
        for opin, rel in model.out_power.items():
            if opin not in conn:
                continue
            n = conn[opin]
            p, c = pc[n]
            rise, fall = c & ~p, p & ~c
            ev = rise | fall
            if not ev:
                continue
            tog_cell += popcount(ev)
            load = loads.lookup.get(n, 0.0)
            rpins = sorted(rel)
            tog = [cause[conn[r]] if r in conn else 0 for r in rpins]
            any_t = 0
            for t in tog:
                any_t |= t
            for sub in range(1, 1 << len(rpins)):
                mask = ev
                for j, t in enumerate(tog):
                    mask &= t if (sub >> j) & 1 else ~t
                    if not mask:
                        break
                if not mask:
                    continue
                members = [j for j in range(len(rpins)) if (sub >> j) & 1]
                w = 1.0 / len(members)
                for j in members:
                    for gmask, g in select_groups(rel[rpins[j]], M, env_prev):
                        nr, nf = popcount(rise & mask & gmask), popcount(fall & mask & gmask)
                        if nr:
                            e_cell += w * nr * group_energy(g, "rise", slew, load)
                        if nf:
                            e_cell += w * nf * group_energy(g, "fall", slew, load)
            orphan = ev & ~any_t
            if orphan:
                # an output switched with none of its related pins (does not happen in these
                # simulations; counted): priced at the mean of all its tables
                tally.unattributed += popcount(orphan)
                allg = [g for r in rpins for g in rel[r]]
                e_cell += popcount(rise & orphan) * group_energy(allg, "rise", slew, load)
                e_cell += popcount(fall & orphan) * group_energy(allg, "fall", slew, load)
        tally.internal += e_cell
        tally.cell_out_toggles += tog_cell
        bt = tally.by_type.setdefault(model.name, {"out_toggles": 0, "internal_pj": 0.0})
        bt["out_toggles"] += tog_cell
        bt["internal_pj"] += e_cell
    for n, cap in loads.switch.items():
        p, c = pc[n]
        if p != c:
            t = popcount(p ^ c)
            tally.switching += 0.5 * cap * vdd2 * t
            if n in pi_nets:
                tally.input_toggles += t


def energy_zero_delay(netlist, lib, hist, T, slew, loads):
    """Zero-delay: one event per transition between consecutive settled states."""
    M = (1 << (T - 1)) - 1
    pc = {n: (h & M, (h >> 1) & M) for n, h in hist.items()}
    cause = {n: p ^ c for n, (p, c) in pc.items()}
    tally = Tally()
    pi_nets = frozenset(b for bits in netlist.inputs.values() for b in bits if not isinstance(b, str))
    price(netlist, lib, slew, M, pc, cause, loads, tally, pi_nets=pi_nets)
    return tally


def energy_unit_delay(netlist, lib, hist, T, slew, loads):
    """Unit-delay (glitch sensitivity, combinational netlists): after each operand change every
    cell output takes the value of its function one step after its inputs changed; every
    intermediate toggle is priced. Returns (tally, number of steps)."""
    M = (1 << (T - 1)) - 1
    before = {n: h & M for n, h in hist.items()}
    after = {n: (h >> 1) & M for n, h in hist.items()}
    pi_nets = frozenset(b for bits in netlist.inputs.values() for b in bits if not isinstance(b, str))
    fanout = {}
    for cell in netlist.comb_order:
        for pin in cell[1].inputs:
            fanout.setdefault(cell[2][pin], []).append(cell)
    tally = Tally()
    state = dict(before)
    changed = set()
    for n in pi_nets:
        state[n] = after[n]
        if state[n] != before[n]:
            changed.add(n)
    pc = {n: (before[n], state[n]) for n in state}
    cause = {n: before[n] ^ state[n] for n in state}
    cells = [c for c in netlist.cells if any(c[2][p] in changed for p in c[1].inputs)]
    price(netlist, lib, slew, M, pc, cause, loads, tally, cells=cells, pi_nets=pi_nets)
    last_pc = pc
    steps = 0
    while changed:
        steps += 1
        todo = {}
        for n in changed:
            for cell in fanout.get(n, ()):
                todo[cell[0]] = cell
        new = {}
        for iname, model, conn in todo.values():
            env = {pin: state[conn[pin]] for pin in model.inputs}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    v = fn(M, env) & M
                    if v != state[conn[pin]]:
                        new[conn[pin]] = v
        prev_changed = changed
        changed = set(new)
        if not changed:
            break
        pc = {n: (state[n], new.get(n, state[n])) for n in state}
        cause = {n: 0 for n in state}
        for n in prev_changed:
            cause[n] = last_pc[n][0] ^ last_pc[n][1]
        cells = [c for c in netlist.cells
                 if any(c[2][p] in changed for p in c[1].outputs if p in c[2])
                 or any(c[2][p] in changed for p in c[1].inputs)]
        price(netlist, lib, slew, M, pc, cause, loads, tally, cells=cells, pi_nets=pi_nets)
        last_pc = pc
        state.update(new)
    for n in state:
        if state[n] != after[n]:
            raise AssertionError("%s: unit-delay simulation did not settle on net %s" % (netlist.name, n))
    return tally, steps


# ---------------------------------------------------------------------------------------------
# Exact reference models of the operations (for checking the simulated netlists).
# ---------------------------------------------------------------------------------------------
def to_signed(x, w):
    x &= (1 << w) - 1
    return x - (1 << w) if x >> (w - 1) else x


def fp_qnan(ew, mw):
    return (((1 << ew) - 1) << mw) | (1 << (mw - 1))


def fp_decode(x, ew, mw):
    bias = (1 << (ew - 1)) - 1
    s = x >> (ew + mw)
    e = (x >> mw) & ((1 << ew) - 1)
    m = x & ((1 << mw) - 1)
    if e == (1 << ew) - 1:
        return ("nan", s, 0, 0) if m else ("inf", s, 0, 0)
    if e == 0:
        return ("num", s, m, 1 - bias - mw)
    return ("num", s, m | (1 << mw), e - bias - mw)


def fp_round(s, mag, exp2, ew, mw):
    """RNE of (-1)^s * mag * 2^exp2 (mag > 0) to the format's bits."""
    bias = (1 << (ew - 1)) - 1
    emin = 1 - bias
    e = mag.bit_length() - 1 + exp2
    q = max(e, emin) - mw
    sh = q - exp2
    if sh <= 0:
        m = mag << -sh
    else:
        m = mag >> sh
        rem = mag - (m << sh)
        half = 1 << (sh - 1)
        if rem > half or (rem == half and (m & 1)):
            m += 1
    if m == 1 << (mw + 1):
        m >>= 1
        q += 1
    sign = s << (ew + mw)
    if m >> mw:
        field = q + mw + bias
        if field >= (1 << ew) - 1:
            return sign | (((1 << ew) - 1) << mw)
        return sign | (field << mw) | (m & ((1 << mw) - 1))
    return sign | m


def fp_add_ref(a, b, ew, mw):
    ka, sa, ma, ea = fp_decode(a, ew, mw)
    kb, sb, mb, eb = fp_decode(b, ew, mw)
    if ka == "nan" or kb == "nan" or (ka == "inf" and kb == "inf" and sa != sb):
        return fp_qnan(ew, mw)
    if ka == "inf" or kb == "inf":
        return ((sa if ka == "inf" else sb) << (ew + mw)) | (((1 << ew) - 1) << mw)
    e0 = min(ea, eb)
    va = (-1) ** sa * (ma << (ea - e0))
    vb = (-1) ** sb * (mb << (eb - e0))
    v = va + vb
    if v == 0:
        return (sa & sb) << (ew + mw)
    return fp_round(1 if v < 0 else 0, abs(v), e0, ew, mw)


def fp_mul_ref(a, b, ew, mw):
    ka, sa, ma, ea = fp_decode(a, ew, mw)
    kb, sb, mb, eb = fp_decode(b, ew, mw)
    s = sa ^ sb
    a_zero = ka == "num" and ma == 0
    b_zero = kb == "num" and mb == 0
    if ka == "nan" or kb == "nan" or (ka == "inf" and b_zero) or (kb == "inf" and a_zero):
        return fp_qnan(ew, mw)
    if ka == "inf" or kb == "inf":
        return (s << (ew + mw)) | (((1 << ew) - 1) << mw)
    if a_zero or b_zero:
        return s << (ew + mw)
    return fp_round(s, ma * mb, ea + eb, ew, mw)


def fp_from_float(x, bits):
    if bits == 16:
        return struct.unpack("<H", struct.pack("<e", x))[0]
    if bits == 32:
        return struct.unpack("<I", struct.pack("<f", x))[0]
    raise ValueError(bits)


def fp_directed(ew, mw):
    """Special and boundary values of a format: zeros, subnormals, normals, max, inf, NaN."""
    emax = (1 << ew) - 1
    one = ((1 << (ew - 1)) - 1) << mw
    mag = [0, 1, 2, (1 << mw) - 1, 1 << (mw - 1), 1 << mw, (1 << mw) | 1, (2 << mw) - 1,
           one, one | 1, one - 1, one + (1 << mw), ((emax - 1) << mw) | ((1 << mw) - 1),
           (emax - 1) << mw, ((emax - 2) << mw) | 5, emax << mw, (emax << mw) | 1,
           (emax << mw) | (1 << (mw - 1)), ((emax >> 1) << mw) | 3, (((emax >> 1) - mw) << mw)]
    vals = []
    for m in mag:
        vals.append(m)
        vals.append(m | (1 << (ew + mw)))
    return vals


# ---------------------------------------------------------------------------------------------
# Reference circuits.
# ---------------------------------------------------------------------------------------------
def _int_circuit(kind, w):
    top = "int_add" if kind == "add" else "int_mul"
    ow = w + 1 if kind == "add" else 2 * w
    opn = (lambda a, b: a + b) if kind == "add" else (lambda a, b: a * b)

    def draw(rng, n):
        # uniform over the signed range, as bit patterns
        return [{"a": rng.randrange(1 << w), "b": rng.randrange(1 << w)} for _ in range(n)]

    def directed():
        edge = [0, 1, 2, (1 << w) - 1, (1 << w) - 2, 1 << (w - 1), (1 << (w - 1)) - 1, (1 << (w - 1)) + 1]
        return [{"a": a, "b": b} for a in edge for b in edge]

    def golden(v):
        r = opn(to_signed(v["a"], w), to_signed(v["b"], w))
        return {("s" if kind == "add" else "p"): r & ((1 << ow) - 1)}

    return {
        "name": "int_%s_%d" % (kind, w), "op": "int_" + kind, "bits": w, "top": top,
        "files": ["tools/tech/circuits/%s.v" % top], "params": {"W": w}, "kind": "comb",
        "draw": draw, "verify_draw": draw, "directed": directed, "golden": golden,
        "stimulus": "operands a, b uniform random two's-complement %d-bit integers" % w,
        "function": ("full %d-bit sum of two signed %d-bit integers" % (ow, w)) if kind == "add"
        else ("full %d-bit product of two signed %d-bit integers" % (ow, w)),
    }


def _fp_circuit(kind, bits):
    ew, mw = {16: (5, 10), 32: (8, 23)}[bits]
    top = "fp_" + kind
    ref = fp_add_ref if kind == "add" else fp_mul_ref
    out = "s" if kind == "add" else "p"

    def draw(rng, n):
        return [{"a": fp_from_float(rng.gauss(0.0, 1.0), bits), "b": fp_from_float(rng.gauss(0.0, 1.0), bits)}
                for _ in range(n)]

    def verify_draw(rng, n):
        v = []
        for k in range(n):
            r = k % 3
            if r == 0:  # any bit pattern
                a, b = rng.randrange(1 << bits), rng.randrange(1 << bits)
            elif r == 1:  # close magnitudes (cancellation, carries)
                a = rng.randrange(1 << bits)
                b = (a ^ (1 << (bits - 1)) if rng.random() < 0.5 else a) + rng.randint(-3, 3)
                b &= (1 << bits) - 1
            else:  # small exponents (subnormal results)
                a = rng.randrange(1 << bits) & ~(((1 << ew) - 1 - 3) << mw)
                b = rng.randrange(1 << bits) & ~(((1 << ew) - 1 - 3) << mw)
            v.append({"a": a, "b": b})
        return v

    def directed():
        d = fp_directed(ew, mw)
        return [{"a": a, "b": b} for a in d for b in d]

    def golden(v):
        return {out: ref(v["a"], v["b"], ew, mw)}

    return {
        "name": "fp_%s_%d" % (kind, bits), "op": "fp_" + kind, "bits": bits, "top": top,
        "files": ["tools/tech/circuits/%s.v" % top], "params": {"EW": ew, "MW": mw}, "kind": "comb",
        "draw": draw, "verify_draw": verify_draw, "directed": directed, "golden": golden,
        "stimulus": "operands a, b independent N(0, 1) samples rounded to FP%d" % bits,
        "function": "IEEE-754 binary%d %s, round to nearest even, subnormals kept" % (bits, "addition" if kind == "add" else "multiplication"),
    }


REG_W = 8


def _reg_circuit(op):
    def snapshots(rng, n):
        # per cycle: clock falls, data settles, clock rises (three snapshots)
        d = rng.randrange(1 << REG_W)
        snaps = [{"clk": 1, "d": d}]
        for _ in range(n):
            if op == "reg_write":
                d = rng.randrange(1 << REG_W)
            snaps.append({"clk": 0, "d": snaps[-1]["d"]})
            snaps.append({"clk": 0, "d": d})
            snaps.append({"clk": 1, "d": d})
        return snaps

    return {
        "name": op, "op": op, "bits": 1, "top": "reg_bits", "files": ["tools/tech/circuits/reg_bits.v"],
        "params": {"W": REG_W}, "kind": "seq", "snapshots": snapshots, "per_op_bits": REG_W,
        "stimulus": ("%d register bits, clocked every cycle, new uniform random data every cycle" % REG_W)
        if op == "reg_write" else
        ("%d register bits, clocked every cycle, data constant (each bit holds its value)" % REG_W),
        "function": "register bit (flip-flop) per clock cycle: clock edges, data pin, output",
    }


def circuits():
    cs = [_int_circuit("add", w) for w in (8, 16, 32)]
    cs += [_int_circuit("mul", w) for w in (8, 16, 32)]
    cs += [_fp_circuit("add", 16), _fp_circuit("add", 32), _fp_circuit("mul", 16), _fp_circuit("mul", 32)]
    cs += [_reg_circuit("reg_write"), _reg_circuit("reg_clock")]
    return {c["name"]: c for c in cs}


# ---------------------------------------------------------------------------------------------
# One circuit: synthesise, verify, simulate, price.
# ---------------------------------------------------------------------------------------------
def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sig(x, n=6):
    """Rounds to n significant digits (stable text in the outputs)."""
    return float("%.*g" % (n, x)) if x else 0.0


def verify(circ, netlist, vectors, what):
    hist, T = simulate_comb(netlist, vectors)
    outs = output_values(netlist, hist, T)
    bad = [(v, o, circ["golden"](v)) for v, o in zip(vectors, outs) if o != circ["golden"](v)]
    if bad:
        v, o, g = bad[0]
        fail("%s: the synthesised netlist disagrees with the reference model on %d of %d %s "
             "vectors, e.g. %s -> %s, expected %s" % (circ["name"], len(bad), len(vectors), what,
                                                    {k: hex(x) for k, x in v.items()},
                                                    {k: hex(x) for k, x in o.items()},
                                                    {k: hex(x) for k, x in g.items()}))
    return hist, T


def run_circuit(circ, lib, liberty_abs, settings, workdir):
    t0 = time.time()
    module = synthesize(circ, liberty_abs, os.path.join(workdir, circ["name"]))
    netlist = Netlist(module, lib, circ["name"])
    rng = random.Random("%d:%s" % (settings["seed"], circ["name"]))
    n = settings["n"]
    if circ["kind"] == "comb":
        vrng = random.Random("%d:%s:verify" % (settings["seed"], circ["name"]))
        vec = circ["directed"]() + circ["verify_draw"](vrng, N_VERIFY)
        verify(circ, netlist, vec, "verification")
        stim = circ["draw"](rng, n + 1)  # n + 1 operand pairs: n transitions (operations)
        hist, T = verify(circ, netlist, stim, "stimulus")
        ops = n
        n_verified = len(vec) + len(stim)
    else:
        snaps = circ["snapshots"](rng, n)
        hist, T = simulate_seq(netlist, snaps)
        outs = output_values(netlist, hist, T)
        q = None  # the flip-flops start at 0: checked from the first loaded value on
        for k in range(1, T):
            if snaps[k]["clk"] and not snaps[k - 1]["clk"]:
                q = snaps[k - 1]["d"]
            if q is not None and outs[k]["q"] != q:
                fail("%s: register output %x at snapshot %d, expected %x" % (circ["name"], outs[k]["q"], k, q))
        n_verified = T
        # the first cycle loads the initial data (the flip-flops start at 0): not counted;
        # the history starts at its last snapshot (clock high, first data loaded)
        first = 3
        hist = {k: v >> first for k, v in hist.items()}
        T -= first
        ops = (n - 1) * circ["per_op_bits"]
    slew = settings["slew_ns"]
    zd = energy_zero_delay(netlist, lib, hist, T, slew, Loads(netlist, lib))
    counts = netlist.cell_counts()
    by_type = {}
    for tname in sorted(counts):
        bt = zd.by_type.get(tname, {"out_toggles": 0, "internal_pj": 0.0})
        by_type[tname] = {"count": counts[tname], "area_um2": sig(counts[tname] * lib.cells[tname].area),
                          "out_toggles_per_op": sig(bt["out_toggles"] / ops),
                          "internal_pj_per_op": sig(bt["internal_pj"] / ops)}
    total = zd.internal + zd.switching
    # sensitivities (informative, not in the table): wire capacitance, glitches
    wl_loads = Loads(netlist, lib, wire_load=True)
    wl = energy_zero_delay(netlist, lib, hist, T, slew, wl_loads)
    sens = {"wire_load_model": wl_loads.wire_load_name,
            "with_wire_load_total_pj_per_op": sig((wl.internal + wl.switching) / ops)}
    if circ["kind"] == "comb":
        ud, steps = energy_unit_delay(netlist, lib, hist, T, slew, Loads(netlist, lib))
        sens["unit_delay_total_pj_per_op"] = sig((ud.internal + ud.switching) / ops)
        sens["unit_delay_cell_output_toggles_per_op"] = sig(ud.cell_out_toggles / ops)
        sens["unit_delay_max_steps"] = steps
    res = {
        "op": circ["op"], "bits": circ["bits"], "top": circ["top"], "params": circ["params"],
        "files": {f: file_sha256(os.path.join(ROOT, f)) for f in circ["files"]},
        "function": circ["function"], "stimulus": circ["stimulus"],
        "ops": ops, "vectors_checked": n_verified,
        "cells": len(netlist.cells), "area_um2": sig(netlist.area()),
        "nand2_equivalents": sig(netlist.area() / lib.cells["sg13g2_nand2_1"].area, 5),
        "leakage_nw": sig(netlist.leakage_pw() / 1000.0),
        "cell_output_toggles_per_op": sig(zd.cell_out_toggles / ops),
        "input_toggles_per_op": sig(zd.input_toggles / ops),
        "unattributed_toggles": zd.unattributed,
        "energy_pj_per_op": {"internal": sig(zd.internal / ops), "switching": sig(zd.switching / ops),
                             "total": sig(total / ops)},
        "sensitivity": sens,
        "by_cell_type": by_type,
    }
    res["_seconds"] = time.time() - t0
    return res


# ---------------------------------------------------------------------------------------------
# Outputs.
# ---------------------------------------------------------------------------------------------
def settings_text(settings):
    return ("zero-delay gate-level simulation, N = %d operations per circuit, seed %d, "
            "input slew %g ns, load = liberty pin capacitance of the net's fanout "
            "(+ one %s %s pin on outputs), no wire capacitance"
            % (settings["n"], settings["seed"], settings["slew_ns"], PO_LOAD_CELL[0], PO_LOAD_CELL[1]))


def yaml_text(calib, dram_block, sram_block):
    lib = calib["liberty"]
    st = calib["settings"]
    ops = []
    for name, c in calib["circuits"].items():
        ops.append((c["op"], c["bits"], c["energy_pj_per_op"]["total"], name))
    order = ["int_add", "int_mul", "fp_add", "fp_mul", "reg_write", "reg_clock"]
    ops.sort(key=lambda o: (order.index(o[0]), o[1]))
    lines = [
        "# tpesim-tech v1",
        "# IHP SG13G2 130 nm, 1.2 V, typical corner, 25 C. GENERATED by tools/tech/ihp_calibrate.py",
        "# from the liberty in models/tech/ihp-sg13g2/ -- do not edit; rerun (repository root):",
        "#   /usr/bin/python3 tools/tech/ihp_calibrate.py --liberty %s --out %s" % (lib["path"], calib["out"]),
        "# Per-circuit detail (cells, area, toggles, energy by cell type): %s" % calib["out"].replace(".yaml", ".calib.json"),
        "# Method and approximations: docs/energy-area.md, section \"IHP SG13G2 (130 nm) table and calibration\".",
    ]
    if sram_block is None:
        lines.append("# sram: not listed: models/tech/generic_45nm.yaml has no sram entries to scale.")
    else:
        lines += [
            "# sram: there is no CACTI 7 technology for 130 nm: the 45 nm CACTI entries of %s scaled" % GENERIC_45NM,
            "# to 130 nm, %g V with tools/tech/scale_table.py (Stillmaker & Baas; energy x %.6g, area x %.6g," % (
                lib["vdd"], sram_block["factors"][0], sram_block["factors"][2]),
            "# leakage x %.6g); sram_array_efficiency is the 45 nm table's (a ratio of areas, not scaled)." % (
                sram_block["factors"][1]),
        ]
    if dram_block is None:
        lines.append("# dram: not listed yet: copied from models/tech/generic_45nm.yaml once that exists "
                     "(DRAM interface energy does not depend on the logic node).")
    lines += [
        "name: ihp-sg13g2-130nm",
        "node_nm: 130",
        "vdd: %g" % lib["vdd"],
        "sources:",
        "  ihp_lib: \"IHP SG13G2 standard cells, liberty %s (revision %s, %s; sha256 %s), "
        "Apache-2.0, github.com/IHP-GmbH/IHP-Open-PDK (copy: %s)\""
        % (lib["name"], lib["revision"], lib["date"], lib["sha256"], lib["path"]),
        "  ihp_calib: \"tools/tech/ihp_calibrate.py on ihp_lib (sha256 %s): %s; synthesised with %s "
        "(synth -flatten; dfflibmap; abc -liberty); energy per op = liberty internal_power per "
        "cell transition + 0.5*C*Vdd^2 per net toggle; circuits tools/tech/circuits/*.v; detail %s\""
        % (lib["sha256"][:16], settings_text(st), calib["yosys"].split(" (")[0],
           calib["out"].replace(".yaml", ".calib.json")),
    ]
    if dram_block is not None:
        for k, v in dram_block["sources"]:
            lines.append("  %s: %s" % (k, v))
    if sram_block is not None:
        for k, v in sram_block["sources"]:
            lines.append("  %s: %s" % (k, scale_table.quote(v)))
    lines.append("ops:                          # energy per operation, pJ (zero-delay, see docs)")
    for op, bits, pj, name in ops:
        lines.append("  - {op: %s, bits: %d, pj: %s, source: ihp_calib}   # %s" % (op, bits, "%.4g" % pj, name))
    if sram_block is not None:
        lines.append("sram:                         # 45 nm CACTI entries scaled to 130 nm (cacti7+stillmaker17)")
        lines += ["  - %s" % scale_table.flow(e, scale_table.SRAM_KEYS) for e in sram_block["entries"]]
    if dram_block is not None:
        lines.append("dram:")
        lines += dram_block["entries"]
    lines.append("logic_leakage: {mw_per_mm2: %s, source: ihp_calib}   # cell_leakage_power / area, all circuits"
                 % ("%.4g" % calib["logic_leakage_mw_per_mm2"]))
    lines.append("nand2: {um2: %s, source: ihp_lib}                  # sg13g2_nand2_1 area"
                 % ("%.6g" % calib["nand2_um2"]))
    if sram_block is not None and sram_block["efficiency"] is not None:
        lines.append("sram_array_efficiency: %s   # the 45 nm CACTI value: a ratio of areas, not scaled"
                     % scale_table.flow(sram_block["efficiency"], ("value", "source")))
    return "\n".join(lines) + "\n"


def read_45nm():
    """The parts of models/tech/generic_45nm.yaml the sram scaling needs, read with the standard
    library (this tool needs no PyYAML): node_nm, vdd, sources (key -> citation), sram (the
    one-line flow mappings tools/tech/run_cacti.py writes) and sram_array_efficiency. None if the
    file is absent."""
    path = os.path.join(ROOT, GENERIC_45NM)
    if not os.path.exists(path):
        return None
    key = r"[A-Za-z0-9_.+-]+"

    def scalar(v):
        v = v.strip()
        if v.startswith('"'):
            return json.loads(v)  # the tables' double-quoted strings use JSON's escapes only
        if re.fullmatch(r"[+-]?\d+", v):
            return int(v)
        try:
            return float(v)
        except ValueError:
            return v

    def mapping(text, what):
        m = re.fullmatch(r"\s*\{(.*)\}\s*", text)
        if not m:
            fail("%s: %s is not a one-line {key: value, ...} mapping" % (GENERIC_45NM, what))
        out = {}
        for part in m.group(1).split(","):
            k, sep, v = part.partition(":")
            if not sep:
                fail("%s: %s: cannot read %r" % (GENERIC_45NM, what, part))
            out[k.strip()] = scalar(v)
        return out

    t = {"sources": {}, "sram": [], "sram_array_efficiency": None}
    section = None
    for n, line in enumerate(open(path).read().split("\n"), 1):
        bare = re.sub(r"\s+#.*$", "", line) if not line.lstrip().startswith("#") else ""
        if not bare.strip():
            continue
        m = re.match(r"^(%s):\s*(.*)$" % key, bare)
        if m:
            section, rest = m.group(1), m.group(2)
            if section in ("node_nm", "vdd"):
                t[section] = scalar(rest)
            elif section == "sram_array_efficiency":
                t[section] = mapping(rest, "line %d" % n)
            continue
        if section == "sources":
            m = re.match(r"^  (%s):\s*(\".*\")\s*$" % key, bare)
            if not m:
                fail("%s:%d: cannot read a source" % (GENERIC_45NM, n))
            t["sources"][m.group(1)] = json.loads(m.group(2))
        elif section == "sram":
            m = re.match(r"^  - (\{.*\})\s*$", bare)
            if not m:
                fail("%s:%d: cannot read an sram entry" % (GENERIC_45NM, n))
            t["sram"].append(mapping(m.group(1), "line %d" % n))
    for k in ("node_nm", "vdd"):
        if k not in t:
            fail("%s: no %s" % (GENERIC_45NM, k))
    return t


def sram_from_45nm(vdd):
    """The 45 nm table's sram entries scaled to 130 nm and `vdd` (scale_table.scale_sram, the rule
    of sim/cost/tech_scale.cpp), the sources they name, and the 45 nm sram_array_efficiency
    (None if the 45 nm table is absent or has no sram entries)."""
    t = read_45nm()
    if t is None or not t["sram"]:
        return None
    entries, cites = scale_table.scale_sram(t, 130, vdd)
    sources = list(cites.items())
    eff = t["sram_array_efficiency"]
    if eff is not None:
        if eff.get("source") not in t["sources"]:
            fail("%s: sram_array_efficiency source %r not in sources" % (GENERIC_45NM, eff.get("source")))
        sources.insert(1, (eff["source"], t["sources"][eff["source"]]))
    for e in entries:
        base = e["source"].rsplit("+", 1)[0]
        if base not in t["sources"]:
            fail("%s: sram source %r not in sources" % (GENERIC_45NM, base))
    return {"entries": entries, "sources": sources, "efficiency": eff,
            "factors": scale_table.factors(t["node_nm"], t["vdd"], 130, vdd)}


def dram_from_45nm():
    """The dram: entries of the 45 nm table and the sources they name (None if absent). The
    citations get a note that they were copied: DRAM interface energy does not depend on the
    logic node."""
    path = os.path.join(ROOT, GENERIC_45NM)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().split("\n")
    key = r"[A-Za-z0-9_.-]+"

    def block(name):
        out, inside = [], False
        for line in text:
            if re.match(r"^%s:\s*(#.*)?$" % name, line):
                inside = True
            elif inside and (line.startswith(" ") or not line.strip()):
                if line.strip() and not line.strip().startswith("#"):
                    out.append(line.rstrip())
            elif inside:
                break
        return out

    entries = [re.sub(r"\s*#.*$", "", e) for e in block("dram")]
    if not entries:
        return None
    used = set()
    for e in entries:
        used.update(re.findall(r"source:\s*(%s)" % key, e))
    note = "; copied unchanged from %s (DRAM interface energy does not depend on the logic node)" % GENERIC_45NM
    sources = []
    for line in block("sources"):
        m = re.match(r"^  (%s):\s*(.*)$" % key, line)
        if m and m.group(1) in used:
            v = m.group(2)
            v = v[:-1] + note + '"' if v.endswith('"') else '"%s%s"' % (v.replace('"', "'"), note)
            sources.append((m.group(1), v))
    if len(sources) != len(used):
        fail("%s: dram sources %s not all found" % (GENERIC_45NM, sorted(used)))
    return {"entries": entries, "sources": sources}


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def calib_json_text(calib):
    return json.dumps(calib, indent=1, sort_keys=True) + "\n"


def run_all(args, names):
    liberty_abs = os.path.abspath(args.liberty)
    lib = Library(liberty_abs)
    settings = {"n": args.n, "seed": args.seed, "slew_ns": args.slew}
    allc = circuits()
    for nme in names:
        if nme not in allc:
            fail("unknown circuit %s (have: %s)" % (nme, ", ".join(allc)))
    workdir = args.workdir or tempfile.mkdtemp(prefix="ihp_calib_")
    results = {}
    try:
        for nme in names:
            r = run_circuit(allc[nme], lib, liberty_abs, settings, workdir)
            sys.stderr.write("ihp_calibrate: %-10s %6d cells %10.1f um2 %9.4g pJ/op  (%.1f s)\n"
                             % (nme, r["cells"], r["area_um2"], r["energy_pj_per_op"]["total"], r["_seconds"]))
            results[nme] = r
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    for r in results.values():
        del r["_seconds"]
    return lib, settings, results


def relpath(p):
    return os.path.relpath(os.path.abspath(p), ROOT)


def make_calib(args, lib, settings, results):
    # leakage density over the distinct netlists (reg_write and reg_clock share one)
    seen, leak, area = set(), 0.0, 0.0
    for name, r in sorted(results.items()):
        key = (r["top"], tuple(sorted(r["params"].items())))
        if key in seen:
            continue
        seen.add(key)
        leak += r["leakage_nw"]
        area += r["area_um2"]
    return {
        "format": FORMAT,
        "out": relpath(args.out),
        "liberty": {"path": relpath(args.liberty), "name": lib.name, "revision": lib.revision,
                    "date": lib.date, "sha256": lib.sha256, "vdd": lib.vdd},
        "yosys": yosys_version(),
        "yosys_script": YOSYS_SCRIPT,
        "settings": dict(settings, delay_model="zero-delay", po_load="%s.%s" % PO_LOAD_CELL,
                         wire_capacitance=0, description=settings_text(settings)),
        # nW / um2 -> mW / mm2: 1e-6 mW / 1e-6 mm2
        "logic_leakage_mw_per_mm2": sig(leak / area),
        "nand2_um2": lib.cells["sg13g2_nand2_1"].area,
        "circuits": results,
    }


def check(args):
    calib_path = args.calib or os.path.splitext(os.path.abspath(args.out))[0] + ".calib.json"
    with open(calib_path) as f:
        shipped = json.load(f)
    st = shipped["settings"]
    args.n, args.seed, args.slew = st["n"], st["seed"], st["slew_ns"]
    args.liberty = os.path.join(ROOT, shipped["liberty"]["path"])
    args.out = os.path.join(ROOT, shipped["out"])
    problems = []
    # the shipped table must be the one the shipped detail file generates
    want_yaml = yaml_text(shipped, dram_from_45nm(), sram_from_45nm(shipped["liberty"]["vdd"]))
    have_yaml = open(args.out).read() if os.path.exists(args.out) else ""
    if have_yaml != want_yaml:
        problems.append("%s is not the table %s generates" % (relpath(args.out), relpath(calib_path)))
    lib = Library(args.liberty)
    if lib.sha256 != shipped["liberty"]["sha256"]:
        problems.append("liberty sha256 %s, shipped data used %s" % (lib.sha256, shipped["liberty"]["sha256"]))
    ver = yosys_version()
    if ver != shipped["yosys"]:
        sys.stderr.write("ihp_calibrate: note: %s, shipped data made with %s\n" % (ver, shipped["yosys"]))
    _, _, results = run_all(args, [args.check])
    new = json.loads(json.dumps(results[args.check], sort_keys=True))
    old = shipped["circuits"].get(args.check)
    if old is None:
        problems.append("no shipped entry for %s" % args.check)
    elif new != old:
        for k in sorted(set(new) | set(old)):
            if new.get(k) != old.get(k):
                problems.append("%s.%s: shipped %s, now %s" % (args.check, k, json.dumps(old.get(k))[:200],
                                                               json.dumps(new.get(k))[:200]))
    if problems:
        sys.stderr.write("ihp_calibrate: STALE calibration data:\n  " + "\n  ".join(problems) +
                         "\nregenerate: /usr/bin/python3 tools/tech/ihp_calibrate.py --liberty %s --out %s\n"
                         % (shipped["liberty"]["path"], shipped["out"]))
        return 1
    sys.stderr.write("ihp_calibrate: %s matches the shipped calibration (%s pJ/op)\n"
                     % (args.check, old["energy_pj_per_op"]["total"]))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--liberty", default=os.path.join(ROOT, DEFAULT_LIBERTY))
    ap.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT),
                    help="technology table to write; the detail file is <out>.calib.json")
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="operations per circuit (>= 2000 for the shipped data)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--slew", type=float, default=DEFAULT_SLEW_NS, help="input slew for power lookups, ns")
    ap.add_argument("--only", default="", help="comma-separated circuits (default: all); prints, writes nothing")
    ap.add_argument("--check", default="", metavar="CIRCUIT",
                    help="rerun one circuit with the shipped settings and compare with the shipped detail file")
    ap.add_argument("--calib", default="", help="detail file for --check (default: <out>.calib.json)")
    ap.add_argument("--workdir", default="", help="keep yosys runs (netlist.v, netlist.json, yosys.log) here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary yosys directory")
    args = ap.parse_args()
    if args.check:
        return check(args)
    names = list(circuits())
    if args.only:
        names = args.only.split(",")
    t0 = time.time()
    lib, settings, results = run_all(args, names)
    if args.only:
        print(json.dumps(results, indent=1, sort_keys=True))
        return 0
    calib = make_calib(args, lib, settings, results)
    out_json = os.path.splitext(os.path.abspath(args.out))[0] + ".calib.json"
    write_text(out_json, calib_json_text(calib))
    shipped = json.loads(calib_json_text(calib))
    write_text(os.path.abspath(args.out),
               yaml_text(shipped, dram_from_45nm(), sram_from_45nm(shipped["liberty"]["vdd"])))
    sys.stderr.write("ihp_calibrate: wrote %s and %s (%.0f s)\n" % (relpath(args.out), relpath(out_json), time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
