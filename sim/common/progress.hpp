// A progress line on stderr for long runs: "label: done/total (pct%), rate/s, ETA mm:ss",
// rewritten in place (carriage return) at most about 5 times per second.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace tpesim {

/// Counts finished work items and shows a progress line on stderr. The caller decides
/// whether to show it (typically `--progress` or stderr_is_terminal()); a disabled Progress
/// never writes anything. advance() may be called from several threads at once.
class Progress {
 public:
  /// `label` starts the line; `total` is the number of items expected (0 = unknown: no
  /// percentage and no ETA); nothing is printed unless `enabled`.
  Progress(std::string label, uint64_t total, bool enabled);
  /// Calls finish().
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Adds `n` finished items; redraws the line if the last redraw is >= 200 ms old and no
  /// other thread is drawing. Thread-safe; never blocks on another thread's drawing.
  void advance(uint64_t n = 1);

  /// Draws the final line ("..., done in mm:ss") and ends it with a newline. Only the first
  /// call prints; later calls and advance() after finish() print nothing.
  void finish();

  /// Items finished so far.
  uint64_t done() const { return done_.load(std::memory_order_relaxed); }

  /// True if file descriptor 2 is a terminal (isatty(2)).
  static bool stderr_is_terminal();

 private:
  using Clock = std::chrono::steady_clock;

  /// Formats the line for `done` items at `now`; `final` replaces the ETA by elapsed time.
  std::string line(uint64_t done, Clock::time_point now, bool final) const;
  /// Writes "\r" + text, blanking what is left of a longer previous line. Holds draw_mutex_.
  void draw(const std::string& text, bool newline);

  const std::string label_;               ///< text before the counts
  const uint64_t total_;                  ///< expected items, 0 = unknown
  const bool enabled_;                    ///< false: never print
  const Clock::time_point start_;         ///< construction time, for rate and ETA
  std::atomic<uint64_t> done_{0};         ///< items finished
  std::atomic<bool> finished_{false};     ///< finish() has run
  std::atomic<int64_t> next_draw_ns_{0};  ///< no redraw before this (ns since start_)
  std::mutex draw_mutex_;                 ///< one thread draws at a time
  size_t last_len_ = 0;                   ///< length of the last line drawn (draw_mutex_)
};

}  // namespace tpesim
