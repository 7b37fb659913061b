// RunResult arithmetic: sums of traffic and cycles, equality, and the totals of a run.
#include "sim/report/result.hpp"

#include "sim/common/error.hpp"

namespace tpesim {
namespace {

/// Adds every entry of `from` into `into` (names missing in `into` start at zero).
template <typename V>
void add_map(std::map<std::string, V>* into, const std::map<std::string, V>& from) {
  for (const auto& [name, value] : from) (*into)[name] += value;
}

/// True if the maps agree, a name missing from one side counting as a default value.
template <typename V>
bool same_map(const std::map<std::string, V>& a, const std::map<std::string, V>& b) {
  const V zero{};
  for (const auto& [name, value] : a) {
    auto it = b.find(name);
    if (!(value == (it == b.end() ? zero : it->second))) return false;
  }
  for (const auto& [name, value] : b) {
    if (a.find(name) == a.end() && !(value == zero)) return false;
  }
  return true;
}

}  // namespace

BufferTraffic& BufferTraffic::operator+=(const BufferTraffic& o) {
  reads += o.reads;
  writes += o.writes;
  read_bytes += o.read_bytes;
  write_bytes += o.write_bytes;
  return *this;
}

bool BufferTraffic::operator==(const BufferTraffic& o) const {
  return reads == o.reads && writes == o.writes && read_bytes == o.read_bytes &&
         write_bytes == o.write_bytes;
}

Cycles& Cycles::operator+=(const Cycles& o) {
  total += o.total;
  compute += o.compute;
  stall += o.stall;
  add_map(&stall_by_buffer, o.stall_by_buffer);
  add_map(&breakdown, o.breakdown);
  return *this;
}

bool Cycles::operator==(const Cycles& o) const {
  return total == o.total && compute == o.compute && stall == o.stall &&
         same_map(stall_by_buffer, o.stall_by_buffer) && same_map(breakdown, o.breakdown);
}

bool LayerResult::operator==(const LayerResult& o) const {
  return name == o.name && M == o.M && N == o.N && K == o.K && count == o.count &&
         folds == o.folds && cycles == o.cycles && macs == o.macs && utilization == o.utilization &&
         mapping_efficiency == o.mapping_efficiency && analytical_cycles == o.analytical_cycles &&
         sqnr_db == o.sqnr_db && same_map(actions, o.actions) &&
         same_map(buffers, o.buffers) && dram_read_bytes == o.dram_read_bytes &&
         dram_write_bytes == o.dram_write_bytes && same_map(energy_pj, o.energy_pj);
}

double LayerResult::energy_total_pj() const {
  double s = 0;
  for (const auto& [name, pj] : energy_pj) s += pj;
  return s;
}

double RunCosts::area_mm2() const {
  double s = 0;
  for (const AreaComponent& c : area) s += c.mm2;
  return s;
}

bool RunCosts::operator==(const RunCosts& o) const {
  return tech == o.tech && tech_file == o.tech_file && node_nm == o.node_nm && area == o.area &&
         area_note == o.area_note && peak_ops_per_s == o.peak_ops_per_s;
}

bool RunResult::operator==(const RunResult& o) const {
  return tool_version == o.tool_version && engine == o.engine && arch_name == o.arch_name && arch_engine == o.arch_engine &&
         arch_yaml == o.arch_yaml && workload_name == o.workload_name &&
         workload_source == o.workload_source && rows == o.rows && cols == o.cols &&
         dataflow == o.dataflow && clock_hz == o.clock_hz && layers == o.layers &&
         totals == o.totals && costs == o.costs;
}

void compute_totals(RunResult* r) {
  if (r == nullptr) throw InternalError("compute_totals: null RunResult");
  LayerResult t;
  t.count = 0;
  double offered_slots = 0;  // sum of macs_l / mapping_efficiency_l
  uint64_t mapped_macs = 0;  // macs of the layers included in offered_slots
  for (const LayerResult& l : r->layers) {
    t.count += l.count;
    t.folds += l.folds * l.count;
    t.cycles += l.cycles;
    t.macs += l.macs;
    add_map(&t.actions, l.actions);
    add_map(&t.buffers, l.buffers);
    add_map(&t.energy_pj, l.energy_pj);
    t.dram_read_bytes += l.dram_read_bytes;
    t.dram_write_bytes += l.dram_write_bytes;
    t.analytical_cycles += l.analytical_cycles;
    if (l.sqnr_db && (!t.sqnr_db || *l.sqnr_db < *t.sqnr_db)) t.sqnr_db = l.sqnr_db;
    if (l.macs > 0 && l.mapping_efficiency > 0) {
      offered_slots += static_cast<double>(l.macs) / l.mapping_efficiency;
      mapped_macs += l.macs;
    }
  }
  const double array_cycles = static_cast<double>(r->rows) * static_cast<double>(r->cols) *
                              static_cast<double>(t.cycles.total);
  t.utilization = array_cycles > 0 ? static_cast<double>(t.macs) / array_cycles : 0.0;
  if (r->arch_engine == "bitmod") {
    // A BitMoD PE's peak depends on the layer's weight type (lanes / terms MACs per cycle):
    // useful MACs over the peak MAC slots of all layers.
    double peak_slots = 0;
    for (const LayerResult& l : r->layers)
      if (l.utilization > 0) peak_slots += static_cast<double>(l.macs) / l.utilization;
    t.utilization = peak_slots > 0 ? static_cast<double>(t.macs) / peak_slots : 0.0;
  }
  t.mapping_efficiency = offered_slots > 0 ? static_cast<double>(mapped_macs) / offered_slots : 0.0;
  r->totals = std::move(t);
}

}  // namespace tpesim
