#include "sim/io/npy.hpp"

#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>

#include "sim/common/error.hpp"

namespace tpesim {

double half_to_double(uint16_t bits) {
  const int sign = (bits >> 15) & 1;
  const int exp = (bits >> 10) & 0x1F;
  const int man = bits & 0x3FF;
  double v;
  if (exp == 0)
    v = std::ldexp(static_cast<double>(man), -24);  // subnormal (or zero)
  else if (exp == 31)
    v = man == 0 ? std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::quiet_NaN();
  else
    v = std::ldexp(static_cast<double>(1024 + man), exp - 25);
  return sign ? -v : v;
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
  throw UserError(where(path, 0, "", msg));
}

/// A header value: a string, a boolean, or a tuple of integers.
struct Value {
  enum Kind { kString, kBool, kTuple } kind = kString;
  std::string s;
  bool b = false;
  std::vector<int64_t> ints;
};

/// Parser of the Python dict literal of a .npy header.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : t_(text), path_(path) {}

  std::map<std::string, Value> parse_dict() {
    std::map<std::string, Value> d;
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++i_;
        break;
      }
      const std::string key = parse_string();
      expect(':');
      Value v = parse_value(key);
      if (d.count(key)) bad("key '" + key + "' appears twice");
      d[key] = std::move(v);
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      break;
    }
    skip_ws();
    if (i_ != t_.size()) bad("unexpected text after the dict");
    return d;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(path_, "header not parseable: " + what + " (header: " + shown() + ")");
  }
  std::string shown() const {
    std::string s;
    for (char c : t_) {
      if (c == '\n') continue;
      s += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s.size() > 120 ? s.substr(0, 120) + "..." : s;
  }
  void skip_ws() {
    while (i_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[i_]))) ++i_;
  }
  char peek() { return i_ < t_.size() ? t_[i_] : '\0'; }
  void expect(char c) {
    skip_ws();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string parse_string() {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a quoted string");
    ++i_;
    std::string s;
    while (i_ < t_.size() && t_[i_] != q) s += t_[i_++];
    if (i_ >= t_.size()) bad("unterminated string");
    ++i_;
    return s;
  }
  bool starts_with(const char* w) const { return t_.compare(i_, std::strlen(w), w) == 0; }
  Value parse_value(const std::string& key) {
    skip_ws();
    Value v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.kind = Value::kString;
      v.s = parse_string();
    } else if (starts_with("True") || starts_with("False")) {
      v.kind = Value::kBool;
      v.b = starts_with("True");
      i_ += v.b ? 4 : 5;
    } else if (c == '(') {
      v.kind = Value::kTuple;
      ++i_;
      for (;;) {
        skip_ws();
        if (peek() == ')') {
          ++i_;
          break;
        }
        v.ints.push_back(parse_int());
        skip_ws();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        expect(')');
        break;
      }
    } else if (c == '[' && key == "descr") {
      fail(path_,
           "unsupported dtype: structured arrays are not supported (give a plain float16, "
           "float32 or float64 array)");
    } else {
      bad("unexpected value for '" + key + "'");
    }
    return v;
  }
  int64_t parse_int() {
    skip_ws();
    size_t j = i_;
    int64_t v = 0;
    while (j < t_.size() && std::isdigit(static_cast<unsigned char>(t_[j]))) {
      if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) bad("dimension too large");
      v = v * 10 + (t_[j] - '0');
      ++j;
    }
    if (j == i_) bad("expected a non-negative integer in 'shape'");
    if (j < t_.size() && t_[j] == 'L') ++j;  // Python 2 long suffix
    i_ = j;
    return v;
  }

  const std::string& t_;
  const std::string& path_;
  size_t i_ = 0;
};

std::string dtype_kind_name(const std::string& d) {
  if (d.size() < 2) return "";
  const char k = d[1];
  const std::string size = d.substr(2);
  int bytes = 0;
  for (char c : size) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return "";
    bytes = bytes * 10 + (c - '0');
    if (bytes > 1000) return "";
  }
  const std::string bits = std::to_string(bytes * 8);
  switch (k) {
    case 'f':
      return "float" + bits;
    case 'i':
      return "int" + bits;
    case 'u':
      return "uint" + bits;
    case 'c':
      return "complex" + bits;
    case 'b':
      return "bool";
    case 'U':
      return "unicode string";
    case 'S':
      return "byte string";
    case 'O':
      return "Python object";
    case 'M':
      return "datetime";
    case 'm':
      return "timedelta";
    case 'V':
      return "void";
    default:
      return "";
  }
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string t = "(";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  if (s.size() == 1) t += ",";
  return t + ")";
}

uint64_t read_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

NpyArray read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(path, "read error");
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 6 || std::memcmp(bytes.data(), kMagic, 6) != 0)
    fail(path, "not a NumPy .npy file (bad magic: expected \\x93NUMPY)");
  if (bytes.size() < 8) fail(path, "truncated header (no version)");
  const int major = u[6], minor = u[7];
  if (!((major == 1 || major == 2) && minor == 0))
    fail(path, "unsupported .npy format version " + std::to_string(major) + "." +
                   std::to_string(minor) + " (1.0 and 2.0 are supported)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) fail(path, "truncated header (no header length)");
  const uint64_t hlen = read_le(u + 8, static_cast<int>(len_bytes));
  const size_t data_start = 8 + len_bytes + hlen;
  if (bytes.size() < data_start)
    fail(path, "truncated header (" + std::to_string(hlen) + " header bytes announced, " +
                   std::to_string(bytes.size() - 8 - len_bytes) + " present)");
  const std::string header = bytes.substr(8 + len_bytes, hlen);
  for (char c : header)
    if (static_cast<unsigned char>(c) >= 0x80)
      fail(path, "header not parseable: non-ASCII bytes in the header");

  const std::map<std::string, Value> d = HeaderParser(header, path).parse_dict();
  for (const char* key : {"descr", "fortran_order", "shape"})
    if (!d.count(key)) fail(path, std::string("header not parseable: no '") + key + "' key");
  for (const auto& kv : d)
    if (kv.first != "descr" && kv.first != "fortran_order" && kv.first != "shape")
      fail(path, "header not parseable: unexpected key '" + kv.first + "'");
  const Value& descr = d.at("descr");
  const Value& fortran = d.at("fortran_order");
  const Value& shape = d.at("shape");
  if (descr.kind != Value::kString) fail(path, "header not parseable: 'descr' is not a string");
  if (fortran.kind != Value::kBool)
    fail(path, "header not parseable: 'fortran_order' is not True or False");
  if (shape.kind != Value::kTuple) fail(path, "header not parseable: 'shape' is not a tuple");

  NpyArray a;
  a.dtype = descr.s;
  int itemsize = 0;
  if (a.dtype == "<f2") itemsize = 2;
  if (a.dtype == "<f4") itemsize = 4;
  if (a.dtype == "<f8") itemsize = 8;
  if (itemsize == 0) {
    const std::string kind = dtype_kind_name(a.dtype);
    if (!a.dtype.empty() && a.dtype[0] == '>' && a.dtype.size() > 2)
      fail(path, "big-endian dtype '" + a.dtype + "'" + (kind.empty() ? "" : " (" + kind + ")") +
                     " is not supported: save little-endian ('<" + a.dtype.substr(1) + "')");
    fail(path, "unsupported dtype '" + a.dtype + "'" + (kind.empty() ? "" : " (" + kind + ")") +
                   ": only float16, float32 and float64 ('<f2', '<f4', '<f8') are supported");
  }
  a.shape = shape.ints;
  if (fortran.b)
    fail(path,
         "Fortran-order array is not supported: save a C-order array "
         "(np.ascontiguousarray)");
  if (a.shape.empty() || a.shape.size() > 2)
    fail(path, std::to_string(a.shape.size()) + "-D array (shape " + shape_text(a.shape) +
                   ") is not supported: give a 1-D or 2-D array");

  const int64_t rows = a.shape[0];
  const int64_t cols = a.shape.size() == 2 ? a.shape[1] : 1;
  constexpr int64_t kMaxElems = int64_t{1} << 40;
  if (rows > kMaxElems || cols > kMaxElems || (cols > 0 && rows > kMaxElems / cols))
    fail(path, "shape " + shape_text(a.shape) + " is too large");
  const uint64_t n = static_cast<uint64_t>(rows * cols);
  const uint64_t need = n * static_cast<uint64_t>(itemsize);
  const uint64_t have = bytes.size() - data_start;
  if (have < need)
    fail(path, "truncated data: shape " + shape_text(a.shape) + " of '" + a.dtype + "' needs " +
                   std::to_string(need) + " bytes, the file has " + std::to_string(have));
  if (have > need)
    fail(path, std::to_string(have - need) + " bytes after the array data (shape " +
                   shape_text(a.shape) + " of '" + a.dtype + "' needs " + std::to_string(need) +
                   ")");

  a.data = num::RealMatrix(rows, cols);
  const unsigned char* p = u + data_start;
  for (uint64_t i = 0; i < n; ++i, p += itemsize) {
    double v = 0;
    if (itemsize == 2) {
      v = half_to_double(static_cast<uint16_t>(read_le(p, 2)));
    } else if (itemsize == 4) {
      const uint32_t b = static_cast<uint32_t>(read_le(p, 4));
      float f;
      std::memcpy(&f, &b, 4);
      v = f;
    } else {
      const uint64_t b = read_le(p, 8);
      std::memcpy(&v, &b, 8);
    }
    a.data.v[i] = v;
  }
  return a;
}

}  // namespace tpesim
