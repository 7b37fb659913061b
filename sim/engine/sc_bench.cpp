#include "sim/engine/sc_bench.hpp"

#include <systemc>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>

#include "models/bitmod/array_sc.hpp"
#include "models/bitmod/pe_sc.hpp"
#include "models/systolic/array_sc.hpp"

namespace tpesim {

using systolic::ArrayInputs;
using systolic::ArrayOutputs;
using systolic::ArrayParams;

namespace {

// The cycle engines: one clocked process runs a job's cycle function (controller, array core
// stepped by call, collector) at every rising edge until it reports done; the array is
// stepped by call, not through signals, which keeps the kernel's work per cycle constant.
SC_MODULE(CycleJob) {
  sc_core::sc_in<bool> clk;
  std::function<bool(uint64_t)> cycle;  ///< cycle(t): simulate cycle t, true when done; empty when idle
  uint64_t t = 0;
  std::exception_ptr error;

  SC_CTOR(CycleJob) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }

  void tick() {
    if (!cycle) return;
    try {
      if (!cycle(t++)) return;
    } catch (...) {
      error = std::current_exception();
    }
    cycle = nullptr;
    sc_core::sc_pause();
  }

  /// Runs `c` to completion in the kernel; rethrows what it threw.
  void run(std::function<bool(uint64_t)> c) {
    t = 0;
    error = nullptr;
    cycle = std::move(c);
    sc_core::sc_start();
    cycle = nullptr;
    if (error) std::rethrow_exception(error);
  }
};

// The BitMoD RTL as a SystemC module: clocks the Verilated array with the value on `in`.
SC_MODULE(RtlBitmodSc) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;
  sc_core::sc_in<bitmod::BitmodArrayIn> in;
  sc_core::sc_out<bitmod::BitmodArrayOut> out;
  rtl::RtlBitmodArray* rtl = nullptr;
  bitmod::BitmodArrayOut buf;

  SC_CTOR(RtlBitmodSc) {
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }

  void on_clock() {
    if (!rtl) return;
    const bitmod::ArrayShape& s = rtl->shape();
    if (rst.read()) {
      rtl->reset();
      buf = bitmod::BitmodArrayOut(s.rows(), s.cols());
    } else if (in.read().cols.size() == static_cast<size_t>(s.cols()) &&
               in.read().acts.size() == static_cast<size_t>(s.rows())) {
      rtl->step(in.read(), &buf);
    }
    out.write(buf);
  }
};

// BitMoD lockstep bench: the SystemC array module (bitmod::BitmodArray) and the RTL read one
// input signal and step on the rising edge; this process runs on the falling edge: it
// compares their output signals (the cycle that just ended), hands the model's outputs to
// the controller, and drives the next cycle's offer (the ready/valid handshake needs the
// array's in_ready of the cycle before, which the half-cycle offset provides).
SC_MODULE(BitmodLockstep) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_signal<bool> rst{"rst"};
  sc_core::sc_signal<bitmod::BitmodArrayIn> in{"in"};
  sc_core::sc_signal<bitmod::BitmodArrayOut> out_model{"out_model"}, out_rtl{"out_rtl"};
  bitmod::BitmodArray model{"model", bitmod::ArrayShape{1, 1, 1, 1}};
  RtlBitmodSc rtl_sc{"rtl"};

  bitmod::BitmodController* ctl = nullptr;
  const LockstepOptions* opt = nullptr;
  LockstepResult* res = nullptr;
  int phase = 0;  ///< 0: assert reset, 1: release it and drive cycle 0, 2: running
  bool tracing = false, corrupted = false;
  uint64_t t = 0;
  bitmod::BitmodArrayIn next;
  std::exception_ptr error;

  SC_CTOR(BitmodLockstep) {
    model.clk(clk);
    model.rst(rst);
    model.in(in);
    model.out(out_model);
    rtl_sc.clk(clk);
    rtl_sc.rst(rst);
    rtl_sc.in(in);
    rtl_sc.out(out_rtl);
    SC_METHOD(stimulus);
    sensitive << clk.neg();
    dont_initialize();
  }

  void stop() {
    if (tracing) rtl_sc.rtl->close_trace();
    tracing = false;
    ctl = nullptr;
    sc_core::sc_pause();
  }

  void mismatch(int r, int c, const std::string& sig, int64_t e, int64_t a) {
    res->match = false;
    res->cycle = t;
    res->pe_row = r;
    res->column = c;
    res->signal = sig;
    res->expected = e;
    res->actual = a;
    stop();
  }

  void drive(bool ready) {
    if (!opt->wave_path.empty() && !tracing && t >= opt->trace_from) {
      rtl_sc.rtl->open_trace(opt->wave_path);
      tracing = true;
    }
    bitmod::BitmodArrayCore& core = model.core();
    ctl->drive(t, ready, {core.pe(0, 0).ready(), core.pe_input_valid(0, 0)}, &next);
    in.write(next);
  }

  void stimulus() {
    if (!ctl) return;
    try {
      if (phase == 0) {  // both reset at the next rising edge
        rst.write(true);
        phase = 1;
        return;
      }
      if (phase == 1) {
        rst.write(false);
        phase = 2;
        t = 0;
        drive(model.core().in_ready());
        return;
      }
      // The rising edge just clocked cycle t into both.
      const bitmod::BitmodArrayOut& om = out_model.read();
      bitmod::BitmodArrayOut orl = out_rtl.read();
      if (opt->corrupt_at_cycle >= 0 && static_cast<int64_t>(t) >= opt->corrupt_at_cycle && !orl.out_valid.empty() &&
          orl.out_valid[0] && !corrupted) {  // test hook: PE (0, 0)'s first output from then on
        orl.out_bits[0] ^= 1;
        corrupted = true;
      }
      ++res->cycles;
      if (om.in_ready != orl.in_ready) return mismatch(0, 0, "in_ready", om.in_ready, orl.in_ready);
      const int C = model.core().shape().cols();
      for (size_t k = 0; k < om.out_valid.size(); ++k) {
        const int r = static_cast<int>(k) / C, c = static_cast<int>(k) % C;
        const std::string at = "[" + std::to_string(r) + "][" + std::to_string(c) + "]";
        if (om.out_valid[k] != orl.out_valid[k])
          return mismatch(r, c, "out_valid" + at, om.out_valid[k], orl.out_valid[k]);
        if (om.out_valid[k] && om.out_bits[k] != orl.out_bits[k])
          return mismatch(r, c, "out_bits" + at, om.out_bits[k], orl.out_bits[k]);
        res->outputs += om.out_valid[k];
      }
      ctl->collect(t, om);
      if (ctl->done()) return stop();
      ++t;
      if (opt->progress && (t & 0xffff) == 0) opt->progress(t);
      drive(om.in_ready);
    } catch (...) {
      error = std::current_exception();
      stop();
    }
  }
};

// The RTL as a SystemC module: one process that clocks the Verilated model (plain --cc)
// with the value on `in`, so the SystemC model and the RTL see the same input signal.
SC_MODULE(RtlArraySc) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;
  sc_core::sc_in<ArrayInputs> in;
  sc_core::sc_out<ArrayOutputs> out;
  rtl::RtlArray* rtl = nullptr;
  ArrayOutputs buf;

  SC_CTOR(RtlArraySc) {
    SC_METHOD(on_clock);
    sensitive << clk.pos();
    dont_initialize();
  }

  void on_clock() {
    if (!rtl) return;
    if (rst.read()) {
      rtl->reset();
      buf = ArrayOutputs(rtl->params().cols);
    } else if (in.read().a_data.size() == static_cast<size_t>(rtl->params().rows) &&
               in.read().b_data.size() == static_cast<size_t>(rtl->params().cols)) {
      rtl->step(in.read(), &buf);
    }
    out.write(buf);
  }
};

// Lockstep bench: stimulus from the controller onto one input signal read by both the
// SystemC array and the RTL; a scoreboard compares their output signals every cycle.
SC_MODULE(LockstepBench) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_signal<bool> rst{"rst"};
  sc_core::sc_signal<ArrayInputs> in{"in"};
  sc_core::sc_signal<ArrayOutputs> out_model{"out_model"}, out_rtl{"out_rtl"};
  systolic::SystolicArray model{"model", ArrayParams{}};
  RtlArraySc rtl{"rtl"};

  systolic::Controller* ctl = nullptr;
  const LockstepOptions* opt = nullptr;
  LockstepResult* res = nullptr;
  int64_t edge = 0;  ///< edges of this stimulus process since the job started
  ArrayInputs next;
  std::exception_ptr error;
  bool tracing = false;

  SC_CTOR(LockstepBench) {
    model.clk(clk);
    model.rst(rst);
    model.in(in);
    model.out(out_model);
    rtl.clk(clk);
    rtl.rst(rst);
    rtl.in(in);
    rtl.out(out_rtl);
    SC_METHOD(stimulus);
    sensitive << clk.pos();
    dont_initialize();
  }

  void stop() {
    if (tracing) rtl.rtl->close_trace();
    tracing = false;
    ctl = nullptr;
    sc_core::sc_pause();
  }

  // Edge 0 asserts reset; edge 1 releases it and presents drive(0); from edge 3 on, edge e
  // sees the outputs of cycle e-3 (driven at edge e-2, clocked into both models at e-1).
  void stimulus() {
    if (!ctl) return;
    try {
      const ArrayParams& p = model.core().params();
      if (edge == 0) {
        rst.write(true);
        in.write(ArrayInputs(p.rows, p.cols));
      } else {
        rst.write(false);
        if (edge >= 3) {
          const uint64_t t = static_cast<uint64_t>(edge - 3);
          const ArrayOutputs& m = out_model.read();
          ArrayOutputs r = out_rtl.read();
          if (opt->corrupt_at_cycle >= 0 && static_cast<int64_t>(t) == opt->corrupt_at_cycle)
            r.o_data[0] ^= 1;
          ++res->cycles;
          for (int c = 0; c < p.cols; ++c) {
            const bool vm = m.o_valid[c], vr = r.o_valid[c];
            const bool dm = vm && (m.o_data[c] != r.o_data[c]);
            if (vm != vr || dm) {
              res->match = false;
              res->cycle = t;
              res->column = c;
              res->pe_row = model.core().emit_row(c);
              res->signal = (vm != vr ? "o_valid[" : "o_data[") + std::to_string(c) + "]";
              res->expected = vm != vr ? vm : m.o_data[c];
              res->actual = vm != vr ? vr : r.o_data[c];
              stop();
              return;
            }
            res->outputs += vm;
          }
          ctl->collect(t, m);
          if (opt->after_collect && !opt->after_collect(t, res)) {
            res->match = false;
            res->cycle = t;
            stop();
            return;
          }
          if (ctl->done()) {
            stop();
            return;
          }
          if (opt->progress && (t & 0xffff) == 0) opt->progress(t);
        }
        const uint64_t d = static_cast<uint64_t>(edge - 1);
        if (!opt->wave_path.empty() && !tracing && d + 1 >= opt->trace_from) {
          rtl.rtl->open_trace(opt->wave_path);
          tracing = true;
        }
        ctl->drive(d, &next);
        in.write(next);
      }
      ++edge;
    } catch (...) {
      error = std::current_exception();
      stop();
    }
  }
};

// Drives the BitMoD PE module through its ports: offers the stream's term cycles, advancing
// when the PE was ready for the offered one, and watches its output port.
SC_MODULE(BitmodPeBench) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_signal<bool> rst{"rst"};
  sc_core::sc_signal<bitmod::PeInput> in{"in"};
  sc_core::sc_signal<bool> ready{"ready"};
  sc_core::sc_signal<bitmod::PeOutput> out{"out"};
  bitmod::BitmodPe pe{"pe"};

  const std::vector<bitmod::PeInput>* stream = nullptr;  ///< the running job, or null
  size_t next = 0;
  int64_t edge = 0;
  int64_t first_take = -1;  ///< edge at which the PE consumed the first input
  bool offered = false;
  BitmodPeRun result;

  SC_CTOR(BitmodPeBench) {
    pe.clk(clk);
    pe.rst(rst);
    pe.in(in);
    pe.ready(ready);
    pe.out(out);
    SC_METHOD(stimulus);
    sensitive << clk.pos();
    dont_initialize();
  }

  // Edge 0 asserts reset (the PE resets at edge 1). The input written at edge e is seen by the
  // PE at edge e+1 and consumed there if the PE's `ready` (written at edge e, read here at
  // edge e+1) was set. The output written at edge e is read here at edge e+1.
  void stimulus() {
    if (!stream) return;
    if (edge == 0) {
      rst.write(true);
      in.write(bitmod::PeInput{});
    } else {
      rst.write(false);
      if (edge >= 2 && out.read().out_valid) {
        result.out = out.read().out;
        result.cycles = static_cast<uint64_t>((edge - 1) - first_take + 1);
        stream = nullptr;
        sc_core::sc_pause();
        return;
      }
      if (edge >= 2 && offered && ready.read()) {  // consumed at this edge
        if (first_take < 0) first_take = edge;
        ++next;
      }
      offered = next < stream->size();
      in.write(offered ? (*stream)[next] : bitmod::PeInput{});
    }
    ++edge;
  }
};

struct Bench {
  sc_core::sc_clock clk{"clk", 1, sc_core::SC_NS};
  CycleJob job{"job"};
  LockstepBench lockstep{"lockstep"};
  BitmodPeBench bitmod_pe{"bitmod_pe"};
  BitmodLockstep bitmod_lockstep{"bitmod_lockstep"};
  Bench() {
    bitmod_lockstep.clk(clk);
    job.clk(clk);
    lockstep.clk(clk);
    bitmod_pe.clk(clk);
  }
};

Bench& bench() {
  static Bench* b = [] {
    // The kernel prints a banner on first use unless told not to; reports must stay clean.
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
    return new Bench();
  }();
  return *b;
}

}  // namespace

systolic::ArrayCounters run_systemc_model(systolic::Controller& ctl, const ArrayParams& p,
                                          const CycleCallback& cb) {
  systolic::ArrayCore core(p);
  ArrayInputs in(p.rows, p.cols);
  ArrayOutputs out(p.cols);
  bench().job.run([&](uint64_t t) {
    ctl.drive(t, &in);
    core.step(in, &out);
    ctl.collect(t, out);
    if (cb && ((t + 1) & 0xffff) == 0) cb(t + 1);
    return ctl.done();
  });
  return core.counters();
}

bitmod::BitmodStats run_systemc_bitmod(bitmod::BitmodController& ctl, const bitmod::ArrayShape& shape,
                                       const num::bitmod::BitmodPeParams& pe) {
  bitmod::BitmodArrayCore core(shape, pe);
  bitmod::BitmodCycle cyc(shape);
  cyc.ready = core.in_ready();
  bench().job.run([&](uint64_t t) { return cyc.clock(t, ctl, core); });
  bitmod::BitmodStats st = ctl.stats();
  st.array = core.counters();
  return st;
}

LockstepResult run_bitmod_lockstep(bitmod::BitmodController& ctl, const bitmod::ArrayShape& shape,
                                   rtl::RtlBitmodArray& rtl, const LockstepOptions& opt) {
  BitmodLockstep& b = bench().bitmod_lockstep;
  LockstepResult res;
  b.model.configure(shape);
  b.rtl_sc.rtl = &rtl;
  b.opt = &opt;
  b.res = &res;
  b.phase = 0;
  b.tracing = false;
  b.corrupted = false;
  b.t = 0;
  b.next = bitmod::BitmodArrayIn(shape.rows(), shape.cols());
  b.error = nullptr;
  b.ctl = &ctl;
  sc_core::sc_start();
  b.ctl = nullptr;
  b.rtl_sc.rtl = nullptr;
  if (b.error) std::rethrow_exception(b.error);
  return res;
}

BitmodPeRun run_systemc_bitmod_pe(const std::vector<bitmod::PeInput>& stream) {
  BitmodPeBench& b = bench().bitmod_pe;
  b.next = 0;
  b.edge = 0;
  b.first_take = -1;
  b.offered = false;
  b.result = BitmodPeRun{};
  b.stream = &stream;
  sc_core::sc_start();
  return b.result;
}

LockstepResult run_lockstep(systolic::Controller& ctl, const ArrayParams& p, rtl::RtlArray& rtl,
                            const LockstepOptions& opt) {
  if (!(rtl.params() == p)) throw std::invalid_argument("run_lockstep: RTL variant parameters differ");
  Bench& b = bench();
  LockstepBench& lb = b.lockstep;
  LockstepResult res;
  lb.model.configure(p);
  lb.rtl.rtl = &rtl;
  lb.opt = &opt;
  lb.res = &res;
  lb.edge = 0;
  lb.next = ArrayInputs(p.rows, p.cols);
  lb.error = nullptr;
  lb.tracing = false;
  lb.ctl = &ctl;
  sc_core::sc_start();
  lb.ctl = nullptr;
  lb.rtl.rtl = nullptr;
  if (lb.error) std::rethrow_exception(lb.error);
  return res;
}

}  // namespace tpesim

// libsystemc.so defines a main() that calls sc_main(); tpesim's programs have their own main()
// and start the kernel through the bench above, so this entry point is never reached. It exists
// only because the shared library refers to it.
extern "C" int sc_main(int, char*[]) {
  std::fprintf(stderr, "tpesim: sc_main is not an entry point of this program\n");
  return 70;
}
