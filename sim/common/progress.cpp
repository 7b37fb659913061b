// Progress line on stderr (see progress.hpp).
#include "sim/common/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace tpesim {
namespace {

/// Minimum time between two redraws: at most 5 lines per second.
constexpr int64_t kRedrawNs = 200'000'000;

/// Seconds as "mm:ss" (minutes grow past 59: "125:07").
std::string mm_ss(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "--:--";
  const auto s = static_cast<uint64_t>(seconds + 0.5);
  return fmt::format("{:02}:{:02}", s / 60, s % 60);
}

}  // namespace

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), start_(Clock::now()) {}

Progress::~Progress() { finish(); }

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::advance(uint64_t n) {
  const uint64_t done = done_.fetch_add(n, std::memory_order_relaxed) + n;
  if (!enabled_ || finished_.load(std::memory_order_acquire)) return;
  const Clock::time_point now = Clock::now();
  const int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count();
  if (t < next_draw_ns_.load(std::memory_order_relaxed)) return;
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_.load(std::memory_order_acquire)) return;
  if (t < next_draw_ns_.load(std::memory_order_relaxed)) return;  // another thread just drew
  next_draw_ns_.store(t + kRedrawNs, std::memory_order_relaxed);
  draw(line(done, now, false), false);
}

void Progress::finish() {
  if (finished_.exchange(true, std::memory_order_acq_rel)) return;
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(draw_mutex_);
  draw(line(done(), Clock::now(), true), true);
}

std::string Progress::line(uint64_t done, Clock::time_point now, bool final) const {
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  std::string s = fmt::format("{}: {}", label_, done);
  if (total_ > 0) {
    const double pct = done >= total_ ? 100.0 : 100.0 * static_cast<double>(done) / total_;
    s += fmt::format("/{} ({:.1f}%)", total_, pct);
  }
  s += fmt::format(", {:.1f}/s", rate);
  if (final) {
    s += ", done in " + mm_ss(elapsed);
  } else if (total_ > 0) {
    const double left = done >= total_ ? 0.0 : static_cast<double>(total_ - done);
    s += ", ETA " + (rate > 0 ? mm_ss(left / rate) : std::string("--:--"));
  }
  return s;
}

void Progress::draw(const std::string& text, bool newline) {
  std::string out = "\r" + text;
  if (text.size() < last_len_) out.append(last_len_ - text.size(), ' ');
  last_len_ = text.size();
  if (newline) out += '\n';
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

}  // namespace tpesim
