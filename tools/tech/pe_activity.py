#!/usr/bin/env python3
"""Calibrates per-toggle energies of the systolic PEs for activity-aware energy (IHP SG13G2).

For each PE of PES (systolic_pe_os / systolic_pe_st of rtl/systolic/ with a PE kind and widths)
the tool

  1. synthesises the PE module with the flow of tools/tech/ihp_calibrate.py (yosys: synth
     -flatten; dfflibmap; abc -liberty against the IHP SG13G2 liberty),
  2. drives the gate-level netlist cycle by cycle with the operand streams a systolic array
     feeds one PE, under several activity levels (STIMULI_OS / STIMULI_ST: uniform random
     operands, 50 % and 90 % zeros, sparse activations, slowly varying operands, half the
     cycles idle, all idle; for stationary PEs also long and short folds (rare and constant
     weight reloads) and pass-through), checking every cycle's outputs against an exact
     reference model of the PE (the semantics of models/systolic/array_core.cpp),
  3. prices every transition with ihp_calibrate's energy rules (liberty internal_power tables
     + 0.5*C*Vdd^2 per net toggle, zero-delay) and counts, with the reference model, the
     register toggles the C++ array model counts for that PE (array_core.cpp: left + top
     operand registers, or left + stationary banks, and the accumulator / partial-sum
     register: popcount(old ^ new) per update),
  4. fits per-toggle energies by non-negative least squares on relative errors:
        E = e_operand * operand_toggles + e_acc * acc_toggles
            [+ e_stationary * stationary_toggles]  + e_cycle * cycles
     and writes them with the per-stimulus data to models/tech/ihp_sg13g2_130nm.pe_activity.json
     (format "tpesim-pe-activity v1"; docs/energy-area.md, "Per-PE toggle calibration").

Rerunning with the same liberty, yosys version, RTL and settings reproduces the file byte for
byte. `--check` recomputes one PE (the INT8 output-stationary PE) with the shipped settings and
compares it with the file (CTest tech_pe_activity_fresh).

Usage (from the repository root; about 2 minutes):
  /usr/bin/python3 tools/tech/pe_activity.py
  /usr/bin/python3 tools/tech/pe_activity.py --check
Standard library only (Python >= 3.8); needs yosys on PATH (or $YOSYS).
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ihp_calibrate as ic  # noqa: E402  (liberty, synthesis, netlist, energy rules)

ROOT = ic.ROOT
FORMAT = "tpesim-pe-activity v1"
TOOL = "tools/tech/pe_activity.py"
DEFAULT_OUT = "models/tech/ihp_sg13g2_130nm.pe_activity.json"

# The sources of systolic_mac and the PE modules (tools/synth/synth_check.sh's list without the
# array top level).
RTL_FILES = [
    "rtl/systolic/systolic_mac.v", "rtl/systolic/systolic_pe_os.v", "rtl/systolic/systolic_pe_st.v",
    "rtl/systolic/fp16_fp32_mac.v", "rtl/mixpe/mixpe_msb.v", "rtl/mixpe/mixpe_fp32_add_exact.v",
    "rtl/mixpe/mixpe_mac_int.v", "rtl/mixpe/mixpe_mac_fp.v", "rtl/mixpe/fp16xint8_dequant.v",
    "rtl/mixpe/fp16xint8_pe.v",
]
PARAM_ORDER = ("AW", "A_SIGNED", "BW", "B_SIGNED", "ACC", "SAT", "PE")


def _pe(top, label, aw, bw, pe):
    return {"top": top, "label": label,
            "params": {"AW": aw, "A_SIGNED": 1, "BW": bw, "B_SIGNED": 1, "ACC": 32, "SAT": 0, "PE": pe}}


# The calibrated PEs, in output order.
PES = [
    _pe("systolic_pe_st", "INT8", 8, 8, 0),
    _pe("systolic_pe_os", "INT8", 8, 8, 0),
    _pe("systolic_pe_os", "W4A8", 8, 4, 2),
    _pe("systolic_pe_os", "W4A16", 16, 4, 1),
    _pe("systolic_pe_os", "FP16", 16, 16, 1),
    _pe("systolic_pe_os", "FP16xINT8", 16, 33, 3),
    _pe("systolic_pe_st", "FP16", 16, 16, 1),
]
CHECK_PE = 1  # --check: the INT8 output-stationary PE

# Settings (recorded in the output; --check reruns with the recorded ones).
DEFAULT_CYCLES = 6000     # counted clock cycles per stimulus
DEFAULT_SEED = 20240314   # stimulus l of PE p draws from Random("<seed>:<module> <params>:<stimulus>")
OS_FOLD = 32              # os: wavefronts per fold (a_in_f on the first, a_in_l on the last)
ST_FOLD = 32              # st: wavefronts streamed per fold (one stationary bank per fold)
ST_SHIFT = 8              # st: w_shift steps per fold (array rows), reloading the other bank
ST_DEPTH = 8              # st: PE rows above this one whose partial sums arrive as p_in
SLOW_RHO = 0.98           # "slow": AR(1) coefficient of the operand processes

STIMULI_OS = ["random", "zeros50", "zeros90", "relu50", "slow", "idle50", "idle"]
STIMULI_ST = STIMULI_OS + ["long", "short", "passthru"]
STIMULUS_TEXT = {
    "random": "independent operands every cycle: integers uniform over their range, FP16 N(0,1) "
              "samples rounded (zeros as +0), FP16xINT8 weights q uniform INT8 with a scale and zero "
              "point per fold",
    "zeros50": "as random, but every operand (left and top / stationary) is zero with probability 0.5",
    "zeros90": "as random, but every operand is zero with probability 0.9",
    "relu50": "as random, but the left operand (activations) is zero with probability 0.5 "
              "(for st also the activations of the rows above)",
    "slow": "slowly varying operands: every operand an AR(1) process x' = 0.98 x + 0.199 s N(0,1) "
            "(stationary standard deviation s, correlation time 50 cycles): integers rounded and "
            "clamped, s = a quarter of the range; FP16 s = 1",
    "idle50": "as random, but every other fold is idle (valid bits 0, data 0, no weight shifts)",
    "idle": "no valid operand and no weight shift: clock only",
    "long": "st only: as random, but folds of 8 st_fold wavefronts (e.g. a large batch): the other "
            "bank is reloaded 8 times less often",
    "short": "st only: as random, but folds of st_shift wavefronts (as many as the array has rows, "
             "e.g. a small batch): the other bank is reloaded in every cycle",
    "passthru": "st only: the PE's row is not used (no left operand, no stationary value, no "
                "shifts): the partial sums of the rows above (random operands, their stationary "
                "values changing every st_fold wavefronts) pass through",
}


def fail(msg):
    sys.stderr.write("pe_activity: error: " + msg + "\n")
    sys.exit(1)


def params_text(params):
    return " ".join("%s=%d" % (k, params[k]) for k in PARAM_ORDER)


def mask(w):
    return (1 << w) - 1


def popcount(x):
    return bin(x).count("1")


# ---------------------------------------------------------------------------------------------
# Exact reference arithmetic of the PE kinds (bit patterns in and out; docs/systolic-array.md
# "PE kinds", models/numerics/fp_mac.hpp, mixpe.hpp). Finite operands only.
# ---------------------------------------------------------------------------------------------
def fp_val(bits, ew, mw):
    """(sign, magnitude, exponent) of a finite FP bit pattern: (-1)^s * mag * 2^exp."""
    kind, s, m, e = ic.fp_decode(bits, ew, mw)
    if kind != "num":
        raise ValueError("non-finite operand %x" % bits)
    return s, m, e


def fp32_fma(acc, prod):
    """RNE_fp32(acc + prod), acc FP32 bits, prod an exact (sign, mag, exp); IEEE zero signs."""
    sa, ma, ea = fp_val(acc, 8, 23)
    sp, mp, ep = prod
    e0 = min(ea, ep)
    v = (-ma if sa else ma) * (1 << (ea - e0)) + (-mp if sp else mp) * (1 << (ep - e0))
    if v == 0:
        return ((sa & sp) << 31) if (ma == 0 and mp == 0) else 0
    r = ic.fp_round(1 if v < 0 else 0, abs(v), e0, 8, 23)
    if (r >> 23) & 0xFF == 0xFF:
        raise ValueError("FP32 overflow in the reference model")
    return r


def dequant_fp16(q, z, s_bits):
    """RNE_fp16(s * (q - z)), saturating at +-65504; a zero is signed sign(s) xor (q - z < 0)."""
    ss, ms, es = fp_val(s_bits, 5, 10)
    d = q - z
    sign = ss ^ (1 if d < 0 else 0)
    mag = ms * abs(d)
    if mag == 0:
        return sign << 15
    r = ic.fp_round(sign, mag, es, 5, 10)
    if (r >> 10) & 0x1F == 0x1F:
        r = (sign << 15) | 0x7BFF
    return r


def make_mac(p):
    """sum = add(base, a * b) of systolic_mac with parameters p, on bit patterns."""
    aw, bw, acc, pe = p["AW"], p["BW"], p["ACC"], p["PE"]
    sx = ic.to_signed
    if pe in (0, 2):
        if p["SAT"]:
            raise ValueError("SAT=1 not modelled")
        am = (lambda a: sx(a, aw)) if p["A_SIGNED"] else (lambda a: a)
        bm = (lambda b: sx(b, bw)) if p["B_SIGNED"] else (lambda b: b)
        return lambda base, a, b: (sx(base, acc) + am(a) * bm(b)) & mask(acc)
    if pe == 1 and bw == 16:
        def mac(base, a, b):
            sa, ma, ea = fp_val(a, 5, 10)
            sb, mb, eb = fp_val(b, 5, 10)
            return fp32_fma(base, (sa ^ sb, ma * mb, ea + eb))
        return mac
    if pe == 1:
        def mac(base, a, b):
            q = sx(b, bw) if p["B_SIGNED"] else b
            sa, ma, ea = fp_val(a, 5, 10)
            return fp32_fma(base, (sa ^ (1 if q < 0 else 0), ma * abs(q), ea))
        return mac
    if pe == 3:
        B = (bw - 17) // 2

        def mac(base, a, b):
            q = b & mask(B)
            q = sx(q, B) if p["B_SIGNED"] else q
            z = sx((b >> B) & mask(B + 1), B + 1)
            w = dequant_fp16(q, z, b >> (2 * B + 1))
            sa, ma, ea = fp_val(a, 5, 10)
            sw, mw_, ew_ = fp_val(w, 5, 10)
            return fp32_fma(base, (sa ^ sw, ma * mw_, ea + ew_))
        return mac
    raise ValueError("PE kind %d" % pe)


# ---------------------------------------------------------------------------------------------
# Operand streams: one value per call (bit patterns), by operand kind and stimulus style.
# ---------------------------------------------------------------------------------------------
def fp16_bits(x):
    b = ic.fp_from_float(x, 16)
    return 0 if b == 0x8000 else b  # zeros as +0


class Stream:
    """Values of one operand (kind "int<W>", "fp16" or "dq<B>") for one stimulus style;
    `left`: the operand streamed from the left (activations), the one relu50 makes sparse."""

    def __init__(self, kind, style, rng, left):
        self.kind, self.style, self.rng = kind, style, rng
        self.zero_p = {"zeros50": 0.5, "zeros90": 0.9}.get(style, 0.0)
        if style == "relu50" and left:
            self.zero_p = 0.5
        self.walk = None
        self.group = None  # dq: (scale bits, zero point) of the current fold

    def new_fold(self):
        if self.kind.startswith("dq"):
            rng = self.rng
            s = fp16_bits(abs(rng.gauss(0.0, 1.0)) * 0.01 + 0.004)
            z = rng.randint(-8, 8)
            self.group = (s, z)

    def _ar1(self, sd):
        """The next sample of a slowly varying AR(1) process with standard deviation sd."""
        if self.walk is None:
            self.walk = self.rng.gauss(0.0, sd)
        else:
            self.walk = SLOW_RHO * self.walk + math.sqrt(1.0 - SLOW_RHO * SLOW_RHO) * self.rng.gauss(0.0, sd)
        return self.walk

    def _int(self, w):
        rng = self.rng
        lo, hi = -(1 << (w - 1)), (1 << (w - 1)) - 1
        if self.style == "slow":
            return min(hi, max(lo, int(round(self._ar1(float(1 << (w - 2)))))))
        if self.zero_p and rng.random() < self.zero_p:
            return 0
        return rng.randint(lo, hi)

    def value(self):
        """The next value as a bit pattern (None-free; zeros are +0 / integer 0)."""
        k, rng = self.kind, self.rng
        if k.startswith("int"):
            w = int(k[3:])
            return self._int(w) & mask(w)
        if k == "fp16":
            if self.style == "slow":
                return fp16_bits(self._ar1(1.0))
            if self.zero_p and rng.random() < self.zero_p:
                return 0
            return fp16_bits(rng.gauss(0.0, 1.0))
        if k.startswith("dq"):
            B = int(k[2:])
            if self.group is None:
                self.new_fold()
            s, z = self.group
            if self.zero_p and rng.random() < self.zero_p:
                q = z  # a zero weight: q equals the zero point
            else:
                q = self._int(B)
                q = ic.to_signed(q, B)
            return (s << (2 * B + 1)) | ((z & mask(B + 1)) << B) | (q & mask(B))
        raise ValueError(k)


def operand_kinds(p):
    pe, aw, bw = p["PE"], p["AW"], p["BW"]
    a = "fp16" if pe in (1, 3) else "int%d" % aw
    if pe == 3:
        b = "dq%d" % ((bw - 17) // 2)
    elif pe == 1 and bw == 16:
        b = "fp16"
    else:
        b = "int%d" % bw
    return a, b


# ---------------------------------------------------------------------------------------------
# Stimuli and the reference model of one PE: per cycle the input vector, the expected outputs
# (before the edge) and the toggles the C++ array model counts at the edge.
# ---------------------------------------------------------------------------------------------
def os_stimulus(p, style, rng, ncyc):
    """ncyc + 1 input vectors of systolic_pe_os: back-to-back folds of OS_FOLD wavefronts."""
    ka, kb = operand_kinds(p)
    sa, sb = Stream(ka, style, rng, True), Stream(kb, style, rng, False)
    xs = []
    fold = 0
    while len(xs) < ncyc + 1:
        active = style != "idle" and not (style == "idle50" and fold % 2 == 1)
        sb.new_fold()
        for w in range(OS_FOLD):
            if active:
                xs.append({"a_in": sa.value(), "a_in_v": 1, "a_in_f": int(w == 0), "a_in_l": int(w == OS_FOLD - 1),
                           "b_in": sb.value(), "b_in_v": 1, "rst": 0})
            else:
                xs.append({"a_in": 0, "a_in_v": 0, "a_in_f": 0, "a_in_l": 0, "b_in": 0, "b_in_v": 0, "rst": 0})
        fold += 1
    return xs[:ncyc + 1]


def st_stimulus(p, style, rng, ncyc):
    """ncyc + 1 input vectors of systolic_pe_st: an initial load of bank 0 (ST_SHIFT shifts),
    then folds of ST_FOLD wavefronts on alternating banks; in the first ST_SHIFT cycles of a
    fold the other bank is reloaded (ST_SHIFT values pass down the column, the last stays).
    p_in / p_in_v: the partial sum of the same wavefront from ST_DEPTH PE rows above (their
    own stationary values and left operands, same style)."""
    ka, kb = operand_kinds(p)
    mac = make_mac(p)
    sa, sw = Stream(ka, style, rng, True), Stream(kb, style, rng, False)
    above_a = [Stream(ka, style, rng, True) for _ in range(ST_DEPTH)]
    above_w = [Stream(kb, style, rng, False) for _ in range(ST_DEPTH)]
    idle = {"a_in": 0, "a_in_v": 0, "a_in_b": 0, "w_shift": 0, "w_bank": 0, "w_in": 0, "wv_in": 0,
            "p_in": 0, "p_in_v": 0, "rst": 0}
    xs = []
    if style not in ("idle", "passthru"):
        for _ in range(ST_SHIFT):
            xs.append(dict(idle, w_shift=1, w_bank=0, w_in=sw.value(), wv_in=1))
    fold = 0  # active folds so far: an active fold uses bank fold % 2 and reloads the other
    slot = 0
    while len(xs) < ncyc + 1:
        active = style != "idle" and not (style == "idle50" and slot % 2 == 1)
        slot += 1
        flen = {"short": ST_SHIFT, "long": 8 * ST_FOLD}.get(style, ST_FOLD)
        if not active:
            xs.extend(dict(idle) for _ in range(flen))
            continue
        bank = fold % 2
        wabove = [s.value() for s in above_w]
        for w in range(flen):
            x = dict(idle)
            if style != "passthru":
                x["a_in"], x["a_in_v"], x["a_in_b"] = sa.value(), 1, bank
            acc = 0
            for j in range(ST_DEPTH):
                acc = mac(acc, above_a[j].value(), wabove[j])
            x["p_in"], x["p_in_v"] = acc, 1
            if w < ST_SHIFT and style != "passthru":
                x["w_shift"], x["w_bank"], x["w_in"], x["wv_in"] = 1, 1 - bank, sw.value(), 1
            xs.append(x)
        fold += 1
    return xs[:ncyc + 1]


def os_reference(p, xs, ncyc):
    """Expected outputs before each edge and the C++ model's toggles (array_core.cpp step_os)."""
    mac = make_mac(p)
    aw, bw, accw = p["AW"], p["BW"], p["ACC"]
    st = {"a_reg": 0, "a_v": 0, "a_f": 0, "a_l": 0, "b_reg": 0, "b_v": 0, "acc": 0}
    outs, left, top, acct = [], 0, 0, 0
    for c in range(ncyc):
        x = xs[c]
        m = x["a_in_v"] & x["b_in_v"]
        base = 0 if x["a_in_f"] else st["acc"]
        s = mac(base, x["a_in"], x["b_in"])
        outs.append({"a_reg": st["a_reg"], "a_v": st["a_v"], "a_f": st["a_f"], "a_l": st["a_l"],
                     "b_reg": st["b_reg"], "b_v": st["b_v"], "emit": m & x["a_in_l"], "sum": s})
        left += popcount((st["a_reg"] ^ x["a_in"]) & mask(aw))
        top += popcount((st["b_reg"] ^ x["b_in"]) & mask(bw))
        if m:
            acct += popcount((st["acc"] ^ s) & mask(accw))
            st["acc"] = s
        st.update(a_reg=x["a_in"], a_v=x["a_in_v"], a_f=x["a_in_f"], a_l=x["a_in_l"], b_reg=x["b_in"],
                  b_v=x["b_in_v"])
    return outs, {"operand_toggles": left + top, "acc_toggles": acct, "stationary_toggles": 0,
                  "left_toggles": left, "top_toggles": top}


def st_reference(p, xs, ncyc):
    """Expected outputs before each edge and the C++ model's toggles (array_core.cpp step_st)."""
    mac = make_mac(p)
    aw, bw, accw = p["AW"], p["BW"], p["ACC"]
    st = {"a_reg": 0, "a_v": 0, "a_b": 0, "w": [0, 0], "wv": [0, 0], "p_reg": 0, "p_v": 0}
    outs, left, acct, stat = [], 0, 0, 0
    for c in range(ncyc):
        x = xs[c]
        ab = x["a_in_b"]
        m = x["a_in_v"] & st["wv"][ab]
        s = mac(x["p_in"], x["a_in"], st["w"][ab])
        outs.append({"a_reg": st["a_reg"], "a_v": st["a_v"], "a_b": st["a_b"], "w_out": st["w"][x["w_bank"]],
                     "wv_out": st["wv"][x["w_bank"]], "p_reg": st["p_reg"], "p_v": st["p_v"]})
        left += popcount((st["a_reg"] ^ x["a_in"]) & mask(aw))
        pnew = s if m else x["p_in"]
        acct += popcount((st["p_reg"] ^ pnew) & mask(accw))
        if x["w_shift"]:
            b = x["w_bank"]
            stat += popcount((st["w"][b] ^ x["w_in"]) & mask(bw))
            st["w"][b], st["wv"][b] = x["w_in"], x["wv_in"]
        st.update(a_reg=x["a_in"], a_v=x["a_in_v"], a_b=ab, p_reg=pnew, p_v=x["p_in_v"])
    return outs, {"operand_toggles": left, "acc_toggles": acct, "stationary_toggles": stat,
                  "left_toggles": left, "top_toggles": 0}


# ---------------------------------------------------------------------------------------------
# Gate-level simulation of a PE netlist: a compiled cycle-by-cycle simulation of the register
# state (all stimuli at once, one bit lane per stimulus), then, per stimulus, the net histories
# over all clock half-cycles (bit-parallel over time) priced with ihp_calibrate's rules.
# ---------------------------------------------------------------------------------------------
_ID = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def _subst(code, names):
    return _ID.sub(lambda m: names.get(m.group(0), m.group(0)), code)


def _net_var(n):
    if n == "0":
        return "0"
    if n == "1":
        return "M"
    return "v%d" % n


class SeqSim:
    """Compiled register-state simulation of a netlist whose flip-flops share the clock `clk`
    (rising edge, asynchronous clear/preset tied inactive) and whose clock drives nothing else."""

    def __init__(self, netlist):
        self.netlist = netlist
        clk = netlist.inputs.get("clk")
        if not clk or len(clk) != 1:
            raise ValueError("%s: no 1-bit clk port" % netlist.name)
        self.clk = clk[0]
        self.in_nets = [(port, j, n) for port in sorted(netlist.inputs) if port != "clk"
                        for j, n in enumerate(netlist.inputs[port])]
        for _, model, conn in netlist.comb_order:
            if any(conn[pin] == self.clk for pin in model.inputs):
                raise ValueError("%s: the clock drives logic" % netlist.name)
        const = {"0": 0, "1": 1}
        lines = ["def run(XS, M):"]
        for k in range(len(netlist.ffs)):
            lines.append("    s%d = 0" % k)
        lines.append("    out = []")
        lines.append("    for x in XS:")
        lines.append("        (%s,) = x" % ", ".join(_net_var(n) for _, _, n in self.in_nets))
        for k, (iname, model, conn) in enumerate(netlist.ffs):
            ff = model.ff
            if ff["clocked_on"].src.strip() not in model.inputs or conn[ff["clocked_on"].src.strip()] != self.clk:
                raise ValueError("%s: flip-flop %s is not clocked by clk" % (netlist.name, iname))
            for key in ("clear", "preset"):
                e = ff[key]
                if e is not None:
                    env = {}
                    for pin in e.pins:
                        if conn[pin] not in const:
                            raise ValueError("%s: %s %s is not tied off" % (netlist.name, iname, key))
                        env[pin] = const[conn[pin]]
                    if e(1, env) & 1:
                        raise ValueError("%s: %s %s is active" % (netlist.name, iname, key))
            names = {ff["iq"]: "s%d" % k, ff["iqn"]: "(s%d ^ M)" % k}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    code, _ = ic.compile_expr(fn.src)
                    lines.append("        %s = %s" % (_net_var(conn[pin]), _subst(code, names)))
        for _, model, conn in netlist.comb_order:
            names = {pin: _net_var(conn[pin]) for pin in model.inputs}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    code, _ = ic.compile_expr(fn.src)
                    lines.append("        %s = %s" % (_net_var(conn[pin]), _subst(code, names)))
        for k, (iname, model, conn) in enumerate(netlist.ffs):
            code, _ = ic.compile_expr(model.ff["next_state"].src)
            names = {pin: _net_var(conn[pin]) for pin in model.inputs}
            lines.append("        s%d = %s" % (k, _subst(code, names)))
        lines.append("        out.append((%s,))" % ", ".join("s%d" % k for k in range(len(netlist.ffs))))
        lines.append("    return out")
        ns = {}
        exec(compile("\n".join(lines), "<%s>" % netlist.name, "exec"), ns)
        self._run = ns["run"]

    def states(self, lanes):
        """lanes: list of input-vector lists (equal lengths n + 1). Returns S[l][c][k], the
        state of flip-flop k in lane l after c edges, c = 0..n (S[l][0] = 0)."""
        L = len(lanes)
        n = len(lanes[0]) - 1
        XS = []
        for c in range(n):
            row = []
            for port, j, _ in self.in_nets:
                v = 0
                for l in range(L):
                    if (lanes[l][c][port] >> j) & 1:
                        v |= 1 << l
                row.append(v)
            XS.append(tuple(row))
        out = self._run(XS, (1 << L) - 1)
        F = len(self.netlist.ffs)
        S = []
        for l in range(L):
            rows = [[0] * F]
            for c in range(n):
                rows.append([(out[c][k] >> l) & 1 for k in range(F)])
            S.append(rows)
        return S

    def histories(self, xs, S):
        """Net histories over T = 2n + 1 snapshots: snapshot 2c has the clock high, inputs
        xs[c] and state S[c] (just after edge c: the PE's inputs come from its neighbours'
        registers and change with its own), snapshot 2c + 1 the clock low, same values."""
        nl = self.netlist
        n = len(xs) - 1
        T = 2 * n + 1
        M = (1 << T) - 1

        def doubled(bits):
            # bits[c] for c = 0..n -> history with bit 2c and 2c+1 = bits[c] (2n+1 bits)
            s = "".join("11" if b else "00" for b in bits[:n]) + ("1" if bits[n] else "0")
            return int(s[::-1], 2)

        hist = {"0": 0, "1": M}
        for port, bits in nl.inputs.items():
            if port == "clk":
                continue
            vals = [x[port] for x in xs]
            for j, net in enumerate(bits):
                hist[net] = doubled([(v >> j) & 1 for v in vals])
        hist[self.clk] = int("1" + "01" * n, 2)  # bit 2c = 1
        for k, (iname, model, conn) in enumerate(nl.ffs):
            ff = model.ff
            iq = doubled([S[c][k] for c in range(n + 1)])
            fenv = {ff["iq"]: iq, ff["iqn"]: iq ^ M}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    hist[conn[pin]] = fn(M, fenv) & M
        for _, model, conn in nl.comb_order:
            env = {p: hist[conn[p]] for p in model.inputs}
            for pin, fn in model.outputs.items():
                if pin in conn:
                    hist[conn[pin]] = fn(M, env) & M
        return hist, T


outputs_at = ic.outputs_at


# ---------------------------------------------------------------------------------------------
# Non-negative least squares on relative errors (exact: the best feasible unconstrained fit
# over all subsets of the coefficients).
# ---------------------------------------------------------------------------------------------
def _solve(A, b):
    n = len(A)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(M[r][col]))
        if abs(M[piv][col]) < 1e-12 * max(1.0, max(abs(M[r][c]) for r in range(n) for c in range(n))):
            return None
        M[col], M[piv] = M[piv], M[col]
        for r in range(n):
            if r != col:
                f = M[r][col] / M[col][col]
                for c in range(col, n + 1):
                    M[r][c] -= f * M[col][c]
    return [M[i][n] / M[i][i] for i in range(n)]


def nnls_relative(X, y):
    """min sum_i ((X_i . e - y_i) / y_i)^2 subject to e >= 0. Returns e."""
    m = len(X[0])
    rows = [[v / yi for v in xi] for xi, yi in zip(X, y)]
    best, best_r = [0.0] * m, float("inf")
    for sub in range(1, 1 << m):
        idx = [j for j in range(m) if (sub >> j) & 1]
        A = [[sum(r[i] * r[j] for r in rows) for j in idx] for i in idx]
        b = [sum(r[i] for r in rows) for i in idx]
        sol = _solve(A, b)
        if sol is None or any(v < 0 for v in sol):
            continue
        e = [0.0] * m
        for j, v in zip(idx, sol):
            e[j] = v
        res = sum((sum(r[j] * e[j] for j in range(m)) - 1.0) ** 2 for r in rows)
        if res < best_r - 1e-15:
            best, best_r = e, res
    return best


# ---------------------------------------------------------------------------------------------
# One PE.
# ---------------------------------------------------------------------------------------------
def run_pe(pe, lib, liberty_abs, settings, workdir):
    t0 = time.time()
    top, p = pe["top"], pe["params"]
    key = "%s %s" % (top, params_text(p))
    name = "%s_%s" % (top, pe["label"])
    circ = {"name": name, "top": top, "files": RTL_FILES, "params": p}
    module = ic.synthesize(circ, liberty_abs, os.path.join(workdir, name))
    netlist = ic.Netlist(module, lib, name)
    sim = SeqSim(netlist)
    ncyc = settings["cycles"]
    st = top == "systolic_pe_st"
    names = STIMULI_ST if st else STIMULI_OS
    lanes, refs = [], []
    for sname in names:
        rng = random.Random("%d:%s:%s" % (settings["seed"], key, sname))
        xs = (st_stimulus if st else os_stimulus)(p, sname, rng, ncyc)
        outs, counts = (st_reference if st else os_reference)(p, xs, ncyc)
        lanes.append(xs)
        refs.append((outs, counts))
    t1 = time.time()
    S = sim.states(lanes)
    t2 = time.time()
    loads = ic.Loads(netlist, lib)
    stimuli = []
    for l, sname in enumerate(names):
        xs = lanes[l]
        hist, T = sim.histories(xs, S[l])
        outs, counts = refs[l]
        for c in range(ncyc):
            got = outputs_at(netlist, hist, 2 * c + 1)
            if got != outs[c]:
                bad = {k: (hex(got[k]), hex(outs[c][k])) for k in got if got[k] != outs[c][k]}
                fail("%s, stimulus %s, cycle %d: netlist outputs differ from the reference model "
                     "(got, expected): %s; inputs %s" % (key, sname, c, bad, {k: hex(v) for k, v in xs[c].items()}))
        tally = ic.energy_zero_delay(netlist, lib, hist, T, settings["slew_ns"], loads)
        stimuli.append({"name": sname, "cycles": ncyc,
                        "operand_toggles": counts["operand_toggles"], "acc_toggles": counts["acc_toggles"],
                        "stationary_toggles": counts["stationary_toggles"],
                        "left_toggles": counts["left_toggles"], "top_toggles": counts["top_toggles"],
                        "energy_pj": ic.sig(tally.internal + tally.switching),
                        "internal_pj": ic.sig(tally.internal), "switching_pj": ic.sig(tally.switching),
                        "unattributed_toggles": tally.unattributed,
                        "_e": tally.internal + tally.switching})
    t3 = time.time()
    cols = ["operand_toggles", "acc_toggles"] + (["stationary_toggles"] if st else []) + ["cycles"]
    X = [[float(s[c]) for c in cols] for s in stimuli]
    y = [s["_e"] for s in stimuli]
    e = nnls_relative(X, y)
    coef = dict(zip(cols, e))
    rel = []
    for s, xi, yi in zip(stimuli, X, y):
        f = sum(a * b for a, b in zip(xi, e))
        s["fit_pj"] = ic.sig(f)
        s["fit_rel_err"] = ic.sig((f - yi) / yi, 4)
        rel.append((f - yi) / yi)
        del s["_e"]
    entry = {
        "module": top, "label": pe["label"], "params": params_text(p),
        "pj_per_operand_toggle": ic.sig(coef["operand_toggles"]),
        "pj_per_acc_toggle": ic.sig(coef["acc_toggles"]),
        "pj_per_stationary_toggle": ic.sig(coef.get("stationary_toggles", 0.0)),
        "pj_per_cycle": ic.sig(coef["cycles"]),
        "fit_rel_rms": ic.sig(math.sqrt(sum(r * r for r in rel) / len(rel)), 4),
        "fit_rel_max": ic.sig(max(abs(r) for r in rel), 4),
        "operand_register_bits": p["AW"] + (0 if st else p["BW"]),
        "acc_register_bits": p["ACC"],
        "stationary_register_bits": 2 * p["BW"] if st else 0,
        "cells": len(netlist.cells), "flip_flops": len(netlist.ffs), "area_um2": ic.sig(netlist.area()),
        "leakage_nw": ic.sig(netlist.leakage_pw() / 1000.0),
        "stimuli": stimuli,
    }
    sys.stderr.write("pe_activity: %-15s %-9s %5d cells  e_op %.4g  e_acc %.4g  e_st %.4g  e_cyc %.4g pJ  "
                     "rel rms %.3g  (synth+stim %.1f s, states %.1f s, price %.1f s)\n"
                     % (top, pe["label"], len(netlist.cells), entry["pj_per_operand_toggle"],
                        entry["pj_per_acc_toggle"], entry["pj_per_stationary_toggle"], entry["pj_per_cycle"],
                        entry["fit_rel_rms"], t1 - t0, t2 - t1, t3 - t2))
    return entry


def settings_block(args, lib):
    return {
        "cycles": args.cycles, "seed": args.seed, "slew_ns": args.slew,
        "os_fold": OS_FOLD, "st_fold": ST_FOLD, "st_shift": ST_SHIFT, "st_depth": ST_DEPTH,
        "delay_model": "zero-delay", "po_load": "%s.%s" % ic.PO_LOAD_CELL, "wire_capacitance": 0,
        "snapshots": "two per clock cycle: clock high with the registers and the inputs of that cycle "
                     "(inputs change at the rising edge, with the PE's own registers), clock low",
        "energy": "liberty internal_power per cell transition + 0.5*C*Vdd^2 per net toggle "
                  "(tools/tech/ihp_calibrate.py rules); dynamic only, no leakage",
        "fit": "non-negative least squares on relative errors over the stimuli: E = pj_per_operand_toggle * "
               "operand_toggles + pj_per_acc_toggle * acc_toggles + pj_per_stationary_toggle * "
               "stationary_toggles (st only) + pj_per_cycle * cycles",
        "counts": "as models/systolic/array_core.cpp counts for the PE: operand_toggles = left + top "
                  "register toggles (os) or left register toggles (st); acc_toggles = accumulator (os, "
                  "on each MAC) or partial-sum register (st, every cycle) toggles; stationary_toggles = "
                  "toggles of the bank loaded by w_shift",
        "stimuli": {k: STIMULUS_TEXT[k] for k in STIMULI_ST},
        "yosys": ic.yosys_version(),
        "yosys_script": ic.YOSYS_SCRIPT,
        "rtl": {f: ic.file_sha256(os.path.join(ROOT, f)) for f in RTL_FILES},
    }


def out_text(doc):
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def compute(args, indices):
    liberty_abs = os.path.abspath(args.liberty)
    lib = ic.Library(liberty_abs)
    settings = {"cycles": args.cycles, "seed": args.seed, "slew_ns": args.slew}
    workdir = args.workdir or tempfile.mkdtemp(prefix="pe_activity_")
    try:
        entries = [run_pe(PES[i], lib, liberty_abs, settings, workdir) for i in indices]
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return lib, entries


def check(args):
    path = os.path.abspath(args.out)
    with open(path) as f:
        shipped = json.load(f)
    st = shipped["settings"]
    args.cycles, args.seed, args.slew = st["cycles"], st["seed"], st["slew_ns"]
    args.liberty = os.path.join(ROOT, shipped["liberty"])
    problems = []
    for k, v in (("os_fold", OS_FOLD), ("st_fold", ST_FOLD), ("st_shift", ST_SHIFT), ("st_depth", ST_DEPTH)):
        if st.get(k) != v:
            problems.append("settings.%s: shipped %s, tool %s" % (k, st.get(k), v))
    lib_sha = ic.file_sha256(args.liberty)
    if lib_sha != shipped["liberty_sha256"]:
        problems.append("liberty sha256 %s, shipped data used %s" % (lib_sha, shipped["liberty_sha256"]))
    ver = ic.yosys_version()
    if ver != st.get("yosys"):
        sys.stderr.write("pe_activity: note: %s, shipped data made with %s\n" % (ver, st.get("yosys")))
    for f_, h in sorted(st.get("rtl", {}).items()):
        if ic.file_sha256(os.path.join(ROOT, f_)) != h:
            sys.stderr.write("pe_activity: note: %s changed since the data was made\n" % f_)
    _, entries = compute(args, [CHECK_PE])
    new = json.loads(json.dumps(entries[0], sort_keys=True))
    want = params_text(PES[CHECK_PE]["params"])
    old = [e for e in shipped["entries"] if e["module"] == PES[CHECK_PE]["top"] and e["params"] == want]
    if not old:
        problems.append("no shipped entry for %s %s" % (PES[CHECK_PE]["top"], want))
    elif new != old[0]:
        for k in sorted(set(new) | set(old[0])):
            if new.get(k) != old[0].get(k):
                problems.append("%s: shipped %s, now %s" % (k, json.dumps(old[0].get(k))[:300],
                                                            json.dumps(new.get(k))[:300]))
    if problems:
        sys.stderr.write("pe_activity: STALE %s:\n  %s\nregenerate: /usr/bin/python3 %s\n"
                         % (os.path.relpath(path, ROOT), "\n  ".join(problems), TOOL))
        return 1
    sys.stderr.write("pe_activity: %s %s matches %s\n" % (PES[CHECK_PE]["top"], want, os.path.relpath(path, ROOT)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--liberty", default=os.path.join(ROOT, ic.DEFAULT_LIBERTY))
    ap.add_argument("--out", default=os.path.join(ROOT, DEFAULT_OUT))
    ap.add_argument("--cycles", type=int, default=DEFAULT_CYCLES, help="counted cycles per stimulus")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--slew", type=float, default=ic.DEFAULT_SLEW_NS, help="input slew for power lookups, ns")
    ap.add_argument("--only", default="", help="comma-separated PE indices (0-based, PES order); prints, writes nothing")
    ap.add_argument("--check", action="store_true",
                    help="recompute the INT8 os PE with the shipped settings and compare with --out")
    ap.add_argument("--workdir", default="", help="keep the yosys runs here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary yosys directory")
    args = ap.parse_args()
    if args.check:
        return check(args)
    t0 = time.time()
    indices = [int(i) for i in args.only.split(",")] if args.only else list(range(len(PES)))
    lib, entries = compute(args, indices)
    if args.only:
        print(json.dumps(entries, indent=1, sort_keys=True))
        return 0
    doc = {
        "format": FORMAT,
        "liberty": os.path.relpath(os.path.abspath(args.liberty), ROOT),
        "liberty_sha256": lib.sha256,
        "vdd": lib.vdd,
        "tool": TOOL,
        "settings": settings_block(args, lib),
        "entries": entries,
    }
    with open(os.path.abspath(args.out), "w") as f:
        f.write(out_text(doc))
    sys.stderr.write("pe_activity: wrote %s (%.0f s)\n" % (os.path.relpath(os.path.abspath(args.out), ROOT),
                                                         time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
