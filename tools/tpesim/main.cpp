// The tpesim command line: run, cosim, quant, area.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/common/progress.hpp"
#include "sim/config/arch.hpp"
#include "sim/cost/area.hpp"
#include "sim/cost/tech.hpp"
#include "sim/engine/cosim.hpp"
#include "sim/engine/run.hpp"
#include "sim/report/writers.hpp"
#include "sim/workload/workload.hpp"
#include "tools/tpesim/cmd_quant.hpp"

namespace {

using namespace tpesim;

ArchSpec load_arch_opt(const std::string& path, const std::vector<std::string>& sets) {
  std::vector<Override> ov;
  for (const auto& s : sets) ov.push_back(parse_override(s));
  return path.empty() ? default_arch(ov) : load_arch(path, ov);
}

int cmd_run(const std::string& arch_path, const std::string& trace, const std::string& engine,
            const std::string& out_dir, const std::vector<std::string>& sets, uint64_t seed,
            const std::string& weights_dir, const std::string& energy, bool quiet) {
  const ArchSpec arch = load_arch_opt(arch_path, sets);
  const Workload w = trace.empty() ? default_workload() : load_trace(trace);
  RunOptions opt;
  opt.engine = engine;
  opt.seed = seed;
  opt.weights_dir = weights_dir;
  opt.activity = energy == "activity";
  if (!weights_dir.empty() && !arch.is_bitmod())
    throw ConfigError("--weights: only the BitMoD engine quantises weights (engine: bitmod in the arch)");
  opt.progress = !quiet && Progress::stderr_is_terminal();
  const RunResult r = run_workload(arch, w, opt);
  if (!out_dir.empty()) write_reports(r, out_dir);
  if (!quiet) std::cout << text_report(r);
  return 0;
}

int cmd_cosim(const std::string& arch_path, const std::string& trace, int random_n,
              const std::vector<std::string>& sets, uint64_t seed, const std::string& wave,
              bool quiet) {
  const ArchSpec arch = load_arch_opt(arch_path, sets);
  std::vector<Gemm> gemms;
  if (!trace.empty()) {
    const Workload w = load_trace(trace);
    gemms = w.gemms;
  } else {
    gemms = random_gemms(arch, random_n, seed);
  }
  CosimOptions opt;
  opt.seed = seed;
  opt.wave_path = wave;
  opt.progress = !quiet && Progress::stderr_is_terminal();
  const CosimReport rep = cosimulate(arch, gemms, opt);
  if (!rep.pass) {
    std::cout << describe(rep, arch);
    if (rep.wave_written) std::cout << "  waveform window written to " << wave << "\n";
    return 1;
  }
  if (!quiet) std::cout << describe(rep, arch);
  return 0;
}

// `tpesim area` (docs/energy-area.md, "Area"): synthesis on a cache miss, then the module
// tables, the area report at --tech and every engine's PE-level units side by side. --check
// only tells whether the cache is fresh for the arch (status 1 if not).
int cmd_area(const std::string& arch_path, const std::vector<std::string>& sets, const std::string& tech_name,
             bool resynth, bool check, bool no_synth, const std::string& yosys) {
  const ArchSpec arch = load_arch_opt(arch_path, sets);
  cost::SynthCache cache = cost::SynthCache::load(cost::default_cache_path());
  if (check) {
    try {
      cost::cached_entries(arch, cache, cost::built_in_hashes());
    } catch (const cost::CostError& e) {
      std::cout << e.what() << "\n";
      return 1;
    }
    std::cout << "synthesis cache is fresh for '" << arch.name << "' (" << arch.source << ")\n";
    return 0;
  }
  const cost::TechTable tech = cost::load_tech_by_name(tech_name.empty() ? arch.tech : tech_name);
  cost::SynthOptions opt;
  opt.yosys = yosys;
  const bool tty = Progress::stderr_is_terminal();
  std::vector<cost::SynthEntry> entries;
  if (no_synth) {
    for (const cost::SynthEntry* e : cost::cached_entries(arch, cache, cost::built_in_hashes())) entries.push_back(*e);
  } else {
    entries = cost::ensure_synthesised(arch, opt, resynth, cache, [tty](const std::string& line) {
      if (tty) std::cerr << "tpesim area: " << line << std::endl;
    });
  }
  for (const auto& e : entries) std::cout << cost::describe_modules(e, tech) << "\n";
  const cost::AreaReport r = cost::area_for(arch, tech, cache, cost::built_in_hashes());
  std::cout << cost::describe_area_report(r, arch) << "\n"
            << cost::describe_units_side_by_side(cache, cost::built_in_hashes(), tech);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tpesim: cycle-accurate simulator for low-precision tensor processing engines"};
  app.set_version_flag("--version", std::string("tpesim ") + TPESIM_VERSION);
  app.require_subcommand(0, 1);

  std::string arch_path, trace, engine = "fast", out_dir, wave, weights_dir, energy = "actions";
  std::vector<std::string> sets;
  uint64_t seed = 1;
  bool quiet = false;
  int random_n = 0;

  auto* run = app.add_subcommand("run", "simulate a workload trace and print the report");
  run->add_option("--arch", arch_path, "architecture YAML (default: built-in 16x16 ws int8)");
  run->add_option("--workload", trace, "trace CSV (default: built-in Llama-2-7B slice)");
  run->add_option("--engine", engine, "fast (closed form, proven equal to cycle), cycle (SystemC model) or rtl (Verilated RTL)")
      ->check(CLI::IsMember({"fast", "cycle", "rtl"}));
  run->add_option("--out", out_dir, "write report.json, report.csv and report.txt here");
  run->add_option("--set", sets, "override an arch key, e.g. --set rows=32 (repeatable)");
  run->add_option("--seed", seed, "seed of the operand values");
  run->add_option("--weights", weights_dir,
                  "BitMoD engine: directory of <layer>.npy weights (K x N) to quantise, for outputs and SQNR");
  run->add_option("--energy", energy,
                  "actions (price every counted action, default) or activity (also count register toggles and "
                  "price registers and MACs by them; cycle and rtl engines; docs/energy-area.md)")
      ->check(CLI::IsMember({"actions", "activity"}));
  run->add_flag("--quiet", quiet, "print nothing on success");

  auto* cosim = app.add_subcommand("cosim", "run the RTL against the SystemC model in lockstep");
  cosim->add_option("--arch", arch_path, "architecture YAML (default: built-in)");
  auto* wl = cosim->add_option("--workload", trace, "trace CSV");
  auto* rn = cosim->add_option("--random", random_n, "N random GEMM shapes")->check(CLI::PositiveNumber);
  wl->excludes(rn);
  cosim->add_option("--set", sets, "override an arch key (repeatable)");
  cosim->add_option("--seed", seed, "seed of shapes and operand values");
  cosim->add_option("--wave", wave, "write an RTL waveform (VCD) window here on a mismatch");
  cosim->add_flag("--quiet", quiet, "print nothing on success");

  CLI::App* quant = add_quant_command(app);

  std::string tech_name, yosys = "yosys";
  bool resynth = false, check = false, no_synth = false;
  auto* area = app.add_subcommand("area", "synthesise the arch's RTL with yosys (cached) and report its area");
  area->add_option("--arch", arch_path, "architecture YAML (default: built-in)");
  area->add_option("--set", sets, "override an arch key (repeatable)");
  area->add_option("--tech", tech_name, "technology table: 45nm, 28nm, ihp-sg13g2-130nm or a file (default: the arch's tech key)");
  area->add_flag("--resynth", resynth, "synthesise again even if the cache is fresh");
  area->add_flag("--check", check, "only check that the synthesis cache is fresh for the arch (status 1 if not)");
  area->add_flag("--no-synth", no_synth, "price from the cache only: an error if an entry is missing or stale");
  area->add_option("--yosys", yosys, "yosys executable (default: yosys on PATH)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*quant) return run_quant_command(std::cout);
    if (*area) return cmd_area(arch_path, sets, tech_name, resynth, check, no_synth, yosys);
    if (*cosim) {
      if (trace.empty() && random_n == 0) {
        std::cerr << "tpesim cosim: give --workload TRACE or --random N\n";
        return 2;
      }
      return cmd_cosim(arch_path, trace, random_n, sets, seed, wave, quiet);
    }
    // `tpesim` alone and `tpesim run` run the default job.
    return cmd_run(arch_path, trace, engine, out_dir, sets, seed, weights_dir, energy, quiet);
  } catch (const UserError& e) {
    std::cerr << "tpesim: error: " << e.what() << "\n";
    return 2;
  } catch (const InternalError& e) {
    std::cerr << "tpesim: internal error (a bug, please report): " << e.what() << "\n";
    return 70;
  } catch (const std::exception& e) {
    std::cerr << "tpesim: internal error (a bug, please report): " << e.what() << "\n";
    return 70;
  }
}
