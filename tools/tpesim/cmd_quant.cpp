// `tpesim quant`: quantises a weight matrix (a .npy file or a seeded synthetic one) with one or
// all standard schemes and prints MSE and SQNR of the weights and of a GEMM output against
// FP64, plus BitMoD's histogram of chosen special values.
#include "tools/tpesim/cmd_quant.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/numerics/metrics.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"
#include "sim/common/error.hpp"
#include "sim/io/npy.hpp"

namespace tpesim {

namespace {

/// The options of `quant` (filled by CLI11).
struct QuantOptions {
  std::string format = "all";  ///< scheme name or "all"
  std::string group = "128";   ///< group size, "channel" or "tensor"
  std::string input;           ///< .npy path (empty: synthetic)
  std::string synthetic = "gaussian";
  uint64_t seed = 1;           ///< synthetic weights: seed; activations: seed + 1
  int64_t rows = 4096;         ///< K of a synthetic matrix
  int64_t cols = 1024;         ///< N of a synthetic matrix
  std::string scale = "fp16";  ///< scale format
  int64_t act_rows = 16;       ///< M of the GEMM check (0: none)
};

QuantOptions& options() {
  static QuantOptions o;
  return o;
}

std::string fmt_db(double db) {
  if (db == std::numeric_limits<double>::infinity()) return "inf";
  if (db == -std::numeric_limits<double>::infinity()) return "-inf";
  return fmt::format("{:.2f}", db);
}

std::string group_text(const num::QuantResult& r, const num::QuantScheme& s) {
  switch (r.config.granularity) {
    case num::Granularity::kPerTensor:
      return "tensor";
    case num::Granularity::kPerChannel:
      return "channel";
    case num::Granularity::kPerGroup:
      break;
  }
  return std::to_string(r.config.group_size) + (s.fixed_group > 0 ? " (fixed)" : "");
}

std::string special_text(double v) {
  std::string s = fmt::format("{:+g}", v);
  return s;
}

}  // namespace

CLI::App* add_quant_command(CLI::App& app) {
  QuantOptions& o = options();
  auto* q = app.add_subcommand(
      "quant",
      "quantisation error (MSE, SQNR) of weight formats on a .npy file or synthetic weights");
  std::string names;
  for (const auto& n : num::standard_schemes()) names += (names.empty() ? "" : ", ") + n;
  q->add_option("--format", o.format,
                "all (default), " + names + ", intN_asym, or any element format name");
  q->add_option("--group", o.group,
                "elements per group along K (a divisor of K; default 128), channel or tensor");
  auto* in =
      q->add_option("--input", o.input, "weights W [K x N] as .npy (float16/32/64, C order)");
  auto* syn = q->add_option("--synthetic", o.synthetic, "gaussian (default), laplace or outliers")
                  ->check(CLI::IsMember(num::synthetic_kinds()));
  q->add_option("--seed", o.seed, "seed of the synthetic weights (activations use seed + 1)");
  auto* rows = q->add_option("--rows", o.rows, "K of the synthetic matrix (default 4096)")
                   ->check(CLI::PositiveNumber);
  auto* cols = q->add_option("--cols", o.cols, "N of the synthetic matrix (default 1024)")
                   ->check(CLI::PositiveNumber);
  q->add_option("--scale", o.scale, "scale format: fp16 (default), int8, e8m0 or exact")
      ->check(CLI::IsMember({"fp16", "int8", "e8m0", "exact"}));
  q->add_option("--act-rows", o.act_rows,
                "M of the GEMM check with Gaussian activations (default 16; 0: no GEMM)")
      ->check(CLI::NonNegativeNumber);
  in->excludes(syn);
  in->excludes(rows);
  in->excludes(cols);
  return q;
}

int run_quant_command(std::ostream& out) {
  const QuantOptions& o = options();

  // Schemes.
  std::vector<std::string> names;
  if (o.format == "all") {
    names = num::standard_schemes();
  } else {
    if (!num::make_scheme(o.format)) {
      std::string list;
      for (const auto& n : num::standard_schemes()) list += n + ", ";
      throw UserError("--format: unknown format '" + o.format + "' (give all, " + list +
                      "intN_asym, or an element format such as int8, uint4, fp6_e2m3, "
                      "fp8_e4m3, fp4_e2m1+5)");
    }
    names.push_back(o.format);
  }

  // Configuration.
  num::QuantConfig cfg;
  if (!num::parse_scale_format(o.scale, &cfg.scale))
    throw UserError("--scale: unknown scale format '" + o.scale + "'");
  if (o.group == "channel") {
    cfg.granularity = num::Granularity::kPerChannel;
  } else if (o.group == "tensor") {
    cfg.granularity = num::Granularity::kPerTensor;
  } else {
    size_t used = 0;
    long long g = 0;
    try {
      g = std::stoll(o.group, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != o.group.size() || g < 1)
      throw UserError("--group: '" + o.group +
                      "' is not a positive group size, 'channel' or 'tensor'");
    cfg.granularity = num::Granularity::kPerGroup;
    cfg.group_size = g;
  }

  // Weights.
  num::RealMatrix w;
  std::string what;
  if (!o.input.empty()) {
    const NpyArray a = read_npy(o.input);
    w = a.data;
    std::string shape = a.shape.size() == 1 ? fmt::format("({},), one column", a.shape[0])
                                            : fmt::format("({}, {})", a.shape[0], a.shape[1]);
    what = fmt::format("{} ('{}' {}), K x N = {} x {}", o.input, a.dtype, shape, w.rows, w.cols);
    if (w.rows * w.cols == 0) throw UserError(where(o.input, 0, "", "the array is empty"));
  } else {
    w = num::synthetic_matrix(o.synthetic, o.rows, o.cols, o.seed);
    what =
        fmt::format("synthetic {} (seed {}), K x N = {} x {}", o.synthetic, o.seed, w.rows, w.cols);
  }
  const std::string source = o.input.empty() ? std::string("the synthetic matrix") : o.input;
  if (cfg.granularity == num::Granularity::kPerGroup && w.rows % cfg.group_size != 0)
    throw UserError(fmt::format("--group: {} does not divide K = {} (the rows of {})",
                                cfg.group_size, w.rows, source));

  // GEMM check: A [M x K] Gaussian, seed + 1.
  num::RealMatrix act, c_ref;
  if (o.act_rows > 0) {
    act = num::gaussian_matrix(o.act_rows, w.rows, o.seed + 1);
    c_ref = num::gemm_f64(act, w);
  }

  out << "tpesim quant: " << what << "\n";
  out << "groups along K; scales " << o.scale;
  if (o.act_rows > 0)
    out << "; GEMM error with " << o.act_rows << " x K Gaussian activations (seed " << o.seed + 1
        << ") against FP64";
  out << "\n\n";
  out << "| scheme | group | scale | metadata bits/weight | MSE | SQNR (dB) |"
      << (o.act_rows > 0 ? " GEMM SQNR (dB) |" : "") << "\n";
  out << "| --- | --- | --- | --- | --- | --- |" << (o.act_rows > 0 ? " --- |" : "") << "\n";

  struct Histogram {
    std::string scheme;
    std::vector<std::string> labels;
    std::vector<int64_t> counts;
    int64_t groups = 0;
  };
  std::vector<Histogram> hists;
  for (const std::string& name : names) {
    const num::QuantScheme s = *num::make_scheme(name);
    num::QuantResult r;
    try {
      r = num::quantize(w, s, cfg);
    } catch (const std::invalid_argument& e) {
      throw UserError(source + ": " + name + ": " + e.what());
    }
    const num::ErrorStats e = num::compare(w, r.dequant);
    out << fmt::format("| {} | {} | {} | {:.4f} | {:.4e} | {} |", name, group_text(r, s),
                       num::to_string(r.config.scale), r.metadata_bits_per_weight, e.mse,
                       fmt_db(e.sqnr_db));
    if (o.act_rows > 0) {
      const num::ErrorStats ge = num::compare(c_ref, num::gemm_f64(act, r.dequant));
      out << " " << fmt_db(ge.sqnr_db) << " |";
    }
    out << "\n";
    if (s.candidates.size() > 1) {
      Histogram h;
      h.scheme = name;
      h.counts = r.selection_counts;
      h.groups = r.num_groups();
      for (size_t c = 0; c < s.candidates.size(); ++c)
        h.labels.push_back(c < s.specials.size()
                               ? special_text(s.specials[c]) + " (" + s.candidates[c]->name() + ")"
                               : s.candidates[c]->name());
      hists.push_back(std::move(h));
    }
  }
  for (const Histogram& h : hists) {
    out << "\nChosen " << (h.scheme.rfind("bitmod", 0) == 0 ? "special values" : "candidates")
        << " of " << h.scheme << " (" << h.groups << " groups):\n\n";
    out << "| candidate | groups | share |\n| --- | --- | --- |\n";
    for (size_t c = 0; c < h.labels.size(); ++c)
      out << fmt::format("| {} | {} | {:.2f}% |\n", h.labels[c], h.counts[c],
                         100.0 * static_cast<double>(h.counts[c]) / static_cast<double>(h.groups));
  }
  return 0;
}

}  // namespace tpesim
