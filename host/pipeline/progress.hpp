// Stage timing, memory high-water marks and progress display for long runs.
//
// A run is a sequence of stages (read, rfm, kmeans, score, write). Each stage is timed by a
// StageTimer, or by a StageProgress when it is long enough to deserve a progress bar; both end
// in a StageTiming for the run report.
//
// Display: attached to a terminal (stderr is a tty) a StageProgress redraws one line on stderr
// with '\r' -- a bar, percent, rows, rows/s and ETA -- at most 10 times a second, and clears it
// when the stage finishes. Otherwise (a scheduler, a pipe, a log file) it prints nothing during
// the stage. In both cases finish() logs exactly one info line:
//   cie [info] rfm: 1,000,000 rows in 1.23 s (813,008 rows/s), peak memory 1.2 GiB
// The bar is drawn only when the logger shows info lines (a --log-level warn run stays quiet).
//
// Memory: the peak is the kernel's resident-set high-water mark (VmHWM). A StageTimer resets it
// when the stage starts (writing "5" to /proc/self/clear_refs, Linux 4.0+), so each stage
// reports its own peak and the run's peak is the largest of them. Stages are sequential, not
// nested: a stage started inside another resets the outer stage's peak. Where the reset is not
// permitted, the value is the process's peak so far (StageTiming::peak_is_per_stage = false).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/logger.hpp"

namespace cie {

/// One finished stage, as the run report lists it.
struct StageTiming {
  std::string name;
  double seconds = 0;              ///< wall-clock time
  std::uint64_t rows = 0;          ///< rows processed (0 for stages that do not count rows)
  std::size_t peak_rss_bytes = 0;  ///< resident-memory high-water mark; 0 if unknown
  bool peak_is_per_stage = false;  ///< true: the peak of this stage; false: of the process so far
};

/// The process's resident set size now (VmRSS), in bytes; 0 if it cannot be read.
std::size_t current_rss_bytes() noexcept;
/// The process's resident-set high-water mark (VmHWM, or getrusage's ru_maxrss where /proc is
/// unavailable), in bytes; 0 if unknown.
std::size_t peak_rss_bytes() noexcept;
/// Resets the high-water mark to the current RSS; false where the kernel does not allow it.
bool reset_peak_rss() noexcept;

/// Whether stderr is a terminal (the default for StageProgress's `interactive`).
bool stderr_is_terminal() noexcept;

/// "rfm: 1,000,000 rows in 1.23 s (813,008 rows/s), peak memory 1.2 GiB". The rows part is
/// left out for a stage with no rows ("write: 0.42 s, ..."), the memory part when unknown.
std::string format_stage_summary(StageTiming const& timing);

/// The interactive progress line (without '\r'), e.g.
///   "rfm [#########...............]  37% 1,000,000/2,700,000 rows  812,345 rows/s  ETA 2.09 s"
/// With `total_rows` 0 (unknown) it shows the rows and rate only.
std::string format_progress_line(std::string_view name, std::uint64_t done_rows,
                                 std::uint64_t total_rows, double elapsed_seconds);

/// Times one stage: wall clock from construction (which also resets the peak RSS) to finish().
class StageTimer {
 public:
  explicit StageTimer(std::string name);

  [[nodiscard]] double elapsed_seconds() const noexcept;
  [[nodiscard]] std::string const& name() const noexcept { return name_; }
  /// Ends the stage: its wall time and the peak RSS now.
  [[nodiscard]] StageTiming finish(std::uint64_t rows = 0) const;

 private:
  std::string name_;
  std::chrono::steady_clock::time_point start_;
  bool peak_reset_;
};

/// A StageTimer with a row counter and a progress display (see the header comment).
class StageProgress {
 public:
  /// `total_rows`: the rows the stage expects (0 if unknown; only the ETA and percent need it).
  StageProgress(std::string name, std::uint64_t total_rows, Logger& logger,
                bool interactive = stderr_is_terminal());
  StageProgress(StageProgress const&) = delete;
  StageProgress& operator=(StageProgress const&) = delete;
  /// Clears a bar still drawn (a stage abandoned by an exception); logs nothing.
  ~StageProgress();

  /// Counts `rows` more rows done. Thread-safe and cheap: an atomic add and a clock read; at
  /// most one caller every 100 ms redraws the bar, and none blocks on another's redraw.
  void advance(std::uint64_t rows) noexcept;
  [[nodiscard]] std::uint64_t rows_done() const noexcept;

  /// Ends the stage: clears the bar, logs the summary line at info level, returns the timing
  /// with the rows counted by advance(). Call once, after every advance() has returned.
  StageTiming finish();

 private:
  void draw() noexcept;
  void clear_bar() noexcept;

  StageTimer timer_;
  std::uint64_t total_rows_;
  Logger& logger_;
  bool interactive_;
  std::atomic<std::uint64_t> rows_done_{0};
  std::atomic<std::int64_t> next_draw_ns_{0};
  std::mutex draw_mutex_;
  bool bar_drawn_ = false;
  bool finished_ = false;
};

}  // namespace cie
