// Group quantisation of weight matrices along the reduction dimension: per-tensor,
// per-channel and per-group scales (FP16, INT8 second-level, E8M0 or exact), round to nearest
// onto any element format's grid, asymmetric integers with a zero point, and BitMoD's
// per-group selection among candidate value sets (Chen et al., "BitMoD: Bit-serial
// Mixture-of-Datatype LLM Acceleration", HPCA 2025, Sec. III). Plain C++, no SystemC.
//
// Conventions. W is the weight matrix B of a GEMM C[M x N] = A[M x K] x B[K x N], stored
// row-major as a RealMatrix with rows = K and cols = N. Quantisation runs along K: a *group*
// is `group_size` consecutive elements of one column. Per-channel is one group per column
// (group_size = K); per-tensor is one group holding the whole matrix.
//
// Per group and per candidate value set (an ElementFormat with grid values g_min < 0 < g_max
// for signed formats):
//  - Scale (symmetric formats). s = max(w_max / g_max, w_min / g_min) over the terms whose
//    sign matches (w_max > 0, w_min < 0 and g_min < 0): the smallest scale with no clipping.
//    For a grid symmetric about 0 this is max|w| / max_abs(format). For an extended BitMoD
//    type whose special widens the range on one side only (FP4 +8: grid [-6, 8]) it uses
//    that side for the weights of that sign. An all-zero group has s = 0 (all codes 0).
//  - Scale (asymmetric integers, b bits). The range is widened to contain 0
//    (lo = min(w_min, 0), hi = max(w_max, 0)); s = (hi - lo) / (2^b - 1) and the zero point
//    z = round(-lo / s') clamped to [0, 2^b - 1], computed with the stored scale s'. Codes
//    are q = clamp(round(w / s') + z), values (q - z) * s'. Zero-point bits: b per group.
//  - Stored scale s' from s by the scale format:
//      kExact: s' = s (a double: 64 metadata bits, for reference);
//      kFp16:  s' = s rounded to the nearest FP16 (IEEE round to nearest even, like a
//              float -> half conversion); FP16 subnormals are kept; s beyond 65504 is an
//              error (std::invalid_argument). Rounding down may clip the largest weight of a
//              group by at most max|w| * 2^-11;
//      kE8M0:  s' = 2^ceil(log2 s), the smallest power of two >= s, so no weight is clipped
//              (|w| / s' <= |w| / s <= max_abs). The OCP MX spec instead takes
//              2^(floor(log2 max|w|) - emax_elem), which can clip (up to 6 -> 8 for FP4);
//              we round up. Exponents below -127 become 2^-127; above 127 are an error;
//      kInt8:  BitMoD's second-level scales. Per channel (column; the whole tensor for
//              per-tensor granularity) a scale-of-scales S = (largest exact scale s of any
//              group and any candidate in that channel) / 255, rounded UP to FP16; then each
//              group and candidate stores q = round(s / S) clamped to [0, 255] (8 bits) and
//              s' = q * S. The same S serves every candidate, so a candidate's stored scale
//              depends only on its exact scale.
//  - Elements: y = w / s' is rounded to the nearest grid value with ElementFormat::encode
//    (midpoint thresholds, ties toward zero, saturating beyond the grid); the dequantised
//    value is decode(code) * s'. With s' = s every error is at most half the grid step
//    around the element (times s).
//  - Selection (more than one candidate): the candidate with the smallest squared error over
//    the group wins; on a tie the lower index. The selector needs ceil(log2(#candidates))
//    bits per group (2 for BitMoD's four specials).
//
// Why BitMoD FP4 is never worse than plain FP4 E2M1 on any group (any scale format): the
// candidates FP4+5 and FP4-5 have the same range as FP4 ([-6, 6]), so their exact scale -
// and hence their stored scale, which depends only on it - equals FP4's; their grid contains
// FP4's grid, so every element's nearest value is at least as near; the selection takes the
// minimum over candidates. The same argument holds for FP3 with +-3.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/numerics/element_format.hpp"
#include "models/numerics/metrics.hpp"

namespace tpesim::num {

/// Which elements share a scale.
enum class Granularity {
  kPerTensor,   ///< one scale for the whole matrix
  kPerChannel,  ///< one scale per column (output channel), i.e. group_size = K
  kPerGroup,    ///< one scale per group_size consecutive elements of a column along K
};

/// How scales are stored (see the banner for the rounding rules).
enum class ScaleFormat {
  kExact,  ///< double, for reference (64 bits)
  kFp16,   ///< IEEE half (16 bits)
  kInt8,   ///< 8-bit unsigned per group x per-channel FP16 scale-of-scales (BitMoD)
  kE8M0,   ///< power of two, rounded up (8 bits, the MX formats' shared scale)
};

/// "exact", "fp16", "int8", "e8m0".
const char* to_string(ScaleFormat s);
/// Parses the names of to_string(); false if unknown.
bool parse_scale_format(const std::string& s, ScaleFormat* out);
/// Bits of one stored scale: 64, 16, 8, 8.
int scale_bits(ScaleFormat s);

/// Where the scales are.
struct QuantConfig {
  Granularity granularity = Granularity::kPerGroup;
  int64_t group_size = 128;  ///< kPerGroup only: must divide K (rows) and be >= 1
  ScaleFormat scale = ScaleFormat::kFp16;
};

/// What the elements are quantised to: one or more candidate value sets, chosen per group.
struct QuantScheme {
  std::string name;  ///< e.g. "int4_sym", "int4_asym", "bitmod_fp4", "mxfp4"
  /// The candidates; the per-group selector is an index into this list. For an asymmetric
  /// scheme exactly one unsigned IntElement (its codes are the stored codes).
  std::vector<std::shared_ptr<const ElementFormat>> candidates;
  bool asymmetric = false;  ///< integer with a per-group zero point (see the banner)
  /// Formats with a fixed block and scale (MX: 32 and E8M0). When set, quantize() uses them
  /// instead of the config's (per-group granularity), and the result's config says so.
  int64_t fixed_group = 0;
  std::optional<ScaleFormat> fixed_scale;
  /// The special value of each candidate for BitMoD mixtures (for histograms), else empty.
  std::vector<double> specials;
};

/// One format, symmetric scale.
QuantScheme single_format(std::shared_ptr<const ElementFormat> f);
/// Asymmetric b-bit integer (2..16 bits) with a per-group zero point; name "int<b>_asym".
QuantScheme asymmetric_int(int bits);
/// BitMoD's mixture: the four ExtendedFloat(base, special) for the table's specials, in
/// table order (selector i = special i). Name e.g. "bitmod_fp4".
QuantScheme bitmod_mixture(const FloatElement& base, const SpecialTable& table,
                           const std::string& name);
/// Any list of candidates selected per group by squared error (e.g. {fp4_e2m1, int4_sym}).
QuantScheme plain_mixture(std::vector<std::shared_ptr<const ElementFormat>> candidates,
                          const std::string& name);
/// MX-FP4: FP4 E2M1 elements in blocks of 32 sharing an E8M0 scale.
QuantScheme mxfp4();

/// By name: "int<b>_asym" (asymmetric_int), "bitmod_fp4", "bitmod_fp3" (BitMoD default
/// tables), "mxfp4", or any make_format() name (single_format, e.g. "int4_sym", "fp4_e2m1",
/// "fp3", "fp4_e2m1+5"). std::nullopt if unknown.
std::optional<QuantScheme> make_scheme(const std::string& name);

/// The schemes compared by `tpesim quant --format all` and the benchmark: int4_sym,
/// int4_asym, int3_sym, int3_asym, fp4_e2m1, fp3, mxfp4, bitmod_fp4, bitmod_fp3.
std::vector<std::string> standard_schemes();

/// The outcome of quantize(). Groups are numbered g = (k / group_rows) * group_cols + n for
/// per-group and per-channel (group_cols = N), and g = 0 for per-tensor (group_cols = 1).
struct QuantResult {
  std::string scheme;  ///< QuantScheme::name
  QuantConfig config;  ///< the configuration actually used (fixed block/scale applied)
  int64_t rows = 0, cols = 0;
  int64_t group_rows = 0;              ///< elements of one column per group (G, or K)
  int64_t group_cols = 0;              ///< columns per group row: N, or 1 for per-tensor
  RealMatrix dequant;                  ///< dequantised weights, rows x cols
  std::vector<uint32_t> codes;         ///< code of each element in its group's candidate, row-major
  std::vector<double> scales;          ///< stored scale s' of each group
  std::vector<uint32_t> scale_codes;   ///< s' in its format: FP16 bits, the 8-bit q, the E8M0
                                       ///< code; 0 for kExact
  std::vector<int32_t> zero_points;    ///< per group (asymmetric schemes), else all 0
  std::vector<uint8_t> selectors;      ///< per group: index of the chosen candidate
  std::vector<double> channel_scales;  ///< kInt8: S per channel (FP16 values), else empty
  /// Metadata bits per weight: (scale bits + zero-point bits + selector bits) per group /
  /// elements per group, plus, for kInt8, 16 bits of S per channel / elements per channel.
  double metadata_bits_per_weight = 0;
  /// Groups that chose each candidate (size = number of candidates).
  std::vector<int64_t> selection_counts;

  int64_t num_groups() const { return static_cast<int64_t>(scales.size()); }
  int64_t group_of(int64_t k, int64_t n) const {
    return (k / group_rows) * group_cols + (group_cols == 1 ? 0 : n);
  }
};

/// Quantises W (rows = K, cols = N) with a scheme. std::invalid_argument for: an empty
/// matrix, a non-finite weight (naming its position), a group size that is < 1 or does not
/// divide K, a scheme without candidates, a scale beyond the scale format's range.
QuantResult quantize(const RealMatrix& w, const QuantScheme& scheme, const QuantConfig& cfg);

/// The quantised weights in the form the GEMM oracles take (reference_gemm_fp.hpp): q = the
/// decoded value of each code in its group's candidate (asymmetric: the unsigned code, with
/// zero = the group's zero point), scale = the stored scales. Per-tensor and per-channel give
/// group_size = K; per-tensor repeats its one scale for every column. `scheme` must be the
/// one r was made with.
GroupedWeights to_grouped_weights(const QuantResult& r, const QuantScheme& scheme);

/// The metadata bits per weight of a scheme and configuration on a K x N matrix (what
/// quantize() reports), e.g. BitMoD FP4, groups of 128, INT8 scales, K = 4096:
/// 8/128 + 2/128 + 16/4096 = 0.08203125.
double metadata_bits_per_weight(const QuantScheme& scheme, const QuantConfig& cfg, int64_t rows,
                                int64_t cols);

/// Rounds to the nearest FP16 value (ties to even), keeping subnormals; magnitudes beyond the
/// largest finite FP16 (65504) round to +-infinity like an IEEE conversion.
double round_to_fp16(double x);
/// The smallest FP16 value >= x (x >= 0 finite; +infinity beyond 65504).
double round_up_fp16(double x);
/// The FP16 bit pattern of an FP16-representable finite value.
uint32_t fp16_bits(double fp16_value);

}  // namespace tpesim::num
