// Node scaling of technology tables (docs/energy-area.md, "Node scaling"), after
// A. Stillmaker, B. Baas, "Scaling equations for the accurate prediction of CMOS device
// performance from 180 nm to 7 nm", Integration, the VLSI Journal 58 (2017) 74-81,
// doi:10.1016/j.vlsi.2017.02.002, with the corrigendum to its Section 4.2.1 example.
//
// The paper gives, per node, fitted polynomials in the supply voltage V for energy
// (E = a V^2 + b V + c, Table 5) and power (P = a V^2 + b V + c), and a node-to-node table of
// area factors. Below 65 nm it has separate high-performance (HP) and low-power (LP) fits; the
// tables here use the HP fits. Nodes between two of the paper's nodes (28 nm lies between 32 and
// 20) are interpolated geometrically in log(node). tools/tech/scale_table.py implements the same
// rule; tests/unit/test_tech_scale.cpp checks that both agree and checks hand-computed factors.
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

#include "sim/cost/tech.hpp"

namespace tpesim::cost {
namespace {

/// The paper's nodes, largest first. 180..65 nm are bulk fits shared by HP and LP; 45..7 nm are
/// the HP fits.
constexpr double kNodes[] = {180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7};
constexpr std::size_t kN = sizeof(kNodes) / sizeof(kNodes[0]);

/// Energy fit E(V) = a V^2 + b V + c per node (Table 5; the 32 nm HP and 65 nm rows are the
/// ones the corrigendum's worked example uses).
constexpr double kEnergy[kN][3] = {
    {0, 24.64, -17.98},           // 180 nm
    {7.171, -6.709, 2.904},       // 130 nm
    {4.762, -4.781, 2.092},       // 90 nm
    {3.755, -4.398, 1.975},       // 65 nm
    {1.018, -0.3107, 0.1539},     // 45 nm HP
    {0.8367, -0.4341, 0.1701},    // 32 nm HP
    {0.373, -0.1582, 0.04104},    // 20 nm HP
    {0.2958, -0.1241, 0.03024},   // 16 nm HP
    {0.2363, -0.09675, 0.02239},  // 14 nm HP
    {0.2068, -0.09311, 0.02375},  // 10 nm HP
    {0.1776, -0.09097, 0.02447},  // 7 nm HP
};

/// Power fit P(V) = a V^2 + b V + c per node (the paper's power-dissipation coefficients).
constexpr double kPower[kN][3] = {
    {0, 101000, -79720},    // 180 nm
    {27020, -15450, 5630},  // 130 nm
    {17320, -11230, 4328},  // 90 nm
    {12890, -10510, 4362},  // 65 nm
    {5462, -1760, 522.4},   // 45 nm HP
    {4001, -1733, 533.6},   // 32 nm HP
    {2922, -1286, 299.9},   // 20 nm HP
    {2133, -882.6, 197.7},  // 16 nm HP
    {1675, -711, 159},      // 14 nm HP
    {1456, -621.6, 143.8},  // 10 nm HP
    {1179, -515.7, 123.4},  // 7 nm HP
};

/// Area factors: an area at node kNodes[i] becomes kArea[i][j] times that area at kNodes[j].
constexpr double kArea[kN][kN] = {
    {1, 0.34, 0.15, 0.08, 0.053, 0.025, 0.011, 0.01, 0.0093, 0.0055, 0.0032},
    {2.9, 1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092},
    {6.6, 2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021},
    {12, 4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039},
    {19, 6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059},
    {40, 14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13},
    {88, 30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28},
    {99, 34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31},
    {110, 37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34},
    {180, 63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58},
    {320, 110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1},
};

constexpr const char* kKey = "stillmaker17";
constexpr const char* kCitation =
    "A. Stillmaker, B. Baas, 'Scaling equations for the accurate prediction of CMOS device "
    "performance from 180 nm to 7 nm', Integration, the VLSI Journal 58 (2017) 74-81, "
    "doi:10.1016/j.vlsi.2017.02.002 (and its corrigendum): energy fit E = aV^2+bV+c (Table 5), "
    "power fit P = aV^2+bV+c and node-to-node area factors, high-performance fits below 65 nm, "
    "nodes between the paper's interpolated geometrically in log(node) (docs/energy-area.md, "
    "Node scaling)";

/// Where `nm` falls among kNodes: the indices of the larger and the smaller bracketing node and
/// the weight of the smaller, t = ln(n_large / nm) / ln(n_large / n_small); t = 0 on a paper node.
struct Bracket {
  std::size_t i0 = 0, i1 = 0;
  double t = 0;
};

Bracket bracket(double nm, const char* what) {
  if (!(nm <= kNodes[0] && nm >= kNodes[kN - 1])) {
    std::ostringstream m;
    m << "scale_tech: " << what << " node " << nm << " nm is outside the range of the "
      << "Stillmaker & Baas fits (7..180 nm)";
    throw CostError(m.str());
  }
  for (std::size_t i = 0; i + 1 < kN; ++i) {
    if (nm == kNodes[i]) return {i, i, 0.0};
    if (nm > kNodes[i + 1]) {  // kNodes[i] > nm > kNodes[i + 1]
      return {i, i + 1, std::log(kNodes[i] / nm) / std::log(kNodes[i] / kNodes[i + 1])};
    }
  }
  return {kN - 1, kN - 1, 0.0};  // nm == 7 nm, the last node
}

double poly(const double (&c)[3], double v) { return c[0] * v * v + c[1] * v + c[2]; }

/// A fitted quantity (energy or power) at node `nm` and supply `v`, interpolated geometrically
/// between the bracketing nodes.
double fit_at(const double (&table)[kN][3], double nm, double v, const char* what,
              const char* quantity) {
  Bracket b = bracket(nm, what);
  double f0 = poly(table[b.i0], v), f1 = poly(table[b.i1], v);
  if (!(f0 > 0) || !(f1 > 0)) {
    std::ostringstream m;
    m << "scale_tech: the " << quantity << " fit is not positive at " << nm << " nm, " << v
      << " V (outside the voltage range the paper fitted)";
    throw CostError(m.str());
  }
  return std::exp((1 - b.t) * std::log(f0) + b.t * std::log(f1));
}

/// Area factor from `from_nm` to `to_nm`: bilinear in (log-node, log-node) on ln kArea.
double area_factor(double from_nm, double to_nm) {
  Bracket x = bracket(from_nm, "source"), y = bracket(to_nm, "target");
  const std::size_t xi[2] = {x.i0, x.i1}, yi[2] = {y.i0, y.i1};
  const double xw[2] = {1 - x.t, x.t}, yw[2] = {1 - y.t, y.t};
  double s = 0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) s += xw[a] * yw[b] * std::log(kArea[xi[a]][yi[b]]);
  return std::exp(s);
}

std::string fmt_nm(double nm) {
  std::ostringstream s;
  s << nm;
  return s.str();
}

}  // namespace

double energy_scale_factor(double from_nm, double from_vdd, double to_nm, double to_vdd) {
  return fit_at(kEnergy, to_nm, to_vdd, "target", "energy") / fit_at(kEnergy, from_nm, from_vdd, "source", "energy");
}

TechTable scale_tech(const TechTable& from, double to_nm, double to_vdd) {
  if (!(from.vdd > 0) || !(to_vdd > 0)) throw CostError("scale_tech: supply voltages must be > 0");
  const double ke = energy_scale_factor(from.node_nm, from.vdd, to_nm, to_vdd);
  const double kp = fit_at(kPower, to_nm, to_vdd, "target", "power") /
                    fit_at(kPower, from.node_nm, from.vdd, "source", "power");
  const double ka = area_factor(from.node_nm, to_nm);

  TechTable t = from;
  t.path.clear();
  const std::string from_tag = fmt_nm(from.node_nm) + "nm", to_tag = fmt_nm(to_nm) + "nm";
  auto at = t.name.find(from_tag);
  if (at != std::string::npos) {
    t.name.replace(at, from_tag.size(), to_tag);
  } else {
    t.name += "-scaled-" + to_tag;
  }
  t.node_nm = to_nm;
  t.vdd = to_vdd;
  t.sources[kKey] = kCitation;

  // Every scaled value's source becomes "<original>+stillmaker17", a key of its own whose
  // citation is the original one plus the scaling applied.
  std::ostringstream how;
  how << "; scaled from " << from.node_nm << " nm, " << from.vdd << " V to " << to_nm << " nm, "
      << to_vdd << " V with " << kKey;
  auto scaled = [&](const std::string& key) {
    std::string k = key + "+" + kKey;
    auto it = from.sources.find(key);
    t.sources[k] = (it != from.sources.end() ? it->second : key) + how.str();
    return k;
  };

  for (auto& op : t.ops) {
    op.pj *= ke;
    op.source = scaled(op.source);
  }
  for (auto& s : t.sram) {
    s.read_pj *= ke;
    s.write_pj *= ke;
    s.area_mm2 *= ka;
    s.leakage_mw *= kp;
    s.source = scaled(s.source);
  }
  // DRAM energy per bit is the memory device's and its interface's, not the logic node's: kept.
  // The same circuit leaks kp times as much on ka times the area.
  t.logic_leakage_mw_per_mm2 *= kp / ka;
  t.logic_leakage_source = scaled(t.logic_leakage_source);
  t.nand2_um2 *= ka;
  t.nand2_source = scaled(t.nand2_source);
  // sram_array_efficiency is a ratio of two areas that scale alike: kept, source unchanged.
  return t;
}

}  // namespace tpesim::cost
