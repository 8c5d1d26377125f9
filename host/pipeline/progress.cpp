#include "host/pipeline/progress.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>

#include "core/units.hpp"

namespace cie {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kRedrawIntervalNs = 100'000'000;
constexpr int kBarWidth = 24;

/// A "Vm...:  1234 kB" field of /proc/self/status, in bytes; 0 if absent.
std::size_t proc_status_kib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with(field) || line.size() <= field.size() || line[field.size()] != ':') {
      continue;
    }
    try {
      return static_cast<std::size_t>(std::stoull(line.substr(field.size() + 1))) * 1024;
    } catch (...) {
      return 0;
    }
  }
  return 0;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::size_t current_rss_bytes() noexcept {
  try {
    return proc_status_kib("VmRSS");
  } catch (...) {
    return 0;
  }
}

std::size_t peak_rss_bytes() noexcept {
  std::size_t peak = 0;
  try {
    peak = proc_status_kib("VmHWM");
  } catch (...) {
  }
  if (peak > 0) return peak;
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::size_t>(usage.ru_maxrss) * 1024;  // kilobytes on Linux
}

bool reset_peak_rss() noexcept {
  std::FILE* file = std::fopen("/proc/self/clear_refs", "w");
  if (file == nullptr) return false;
  bool const written = std::fputs("5", file) >= 0;
  return (std::fclose(file) == 0) && written;
}

bool stderr_is_terminal() noexcept { return ::isatty(STDERR_FILENO) == 1; }

std::string format_stage_summary(StageTiming const& timing) {
  std::string line = timing.name + ": ";
  if (timing.rows > 0) {
    line += fmt::format("{} rows in {} ({})", format_count(timing.rows),
                        format_duration(timing.seconds), format_rate(timing.rows, timing.seconds));
  } else {
    line += format_duration(timing.seconds);
  }
  if (timing.peak_rss_bytes > 0) line += ", peak memory " + format_bytes(timing.peak_rss_bytes);
  return line;
}

std::string format_progress_line(std::string_view name, std::uint64_t done_rows,
                                 std::uint64_t total_rows, double elapsed_seconds) {
  std::string const rate = format_rate(done_rows, elapsed_seconds);
  if (total_rows == 0) {
    return fmt::format("{} {} rows  {}", name, format_count(done_rows), rate);
  }
  double const fraction =
      std::min(1.0, static_cast<double>(done_rows) / static_cast<double>(total_rows));
  int const filled = static_cast<int>(fraction * kBarWidth);
  std::string eta = "?";
  if (done_rows > 0 && elapsed_seconds > 0) {
    double const remaining = static_cast<double>(total_rows - std::min(done_rows, total_rows));
    eta = format_duration(remaining * elapsed_seconds / static_cast<double>(done_rows));
  }
  return fmt::format("{} [{}{}] {:3d}% {}/{} rows  {}  ETA {}", name, std::string(filled, '#'),
                     std::string(kBarWidth - filled, '.'), static_cast<int>(fraction * 100),
                     format_count(done_rows), format_count(total_rows), rate, eta);
}

StageTimer::StageTimer(std::string name)
    : name_(std::move(name)), start_(Clock::now()), peak_reset_(reset_peak_rss()) {}

double StageTimer::elapsed_seconds() const noexcept {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

StageTiming StageTimer::finish(std::uint64_t rows) const {
  StageTiming timing;
  timing.name = name_;
  timing.seconds = elapsed_seconds();
  timing.rows = rows;
  timing.peak_rss_bytes = peak_rss_bytes();
  timing.peak_is_per_stage = peak_reset_;
  return timing;
}

StageProgress::StageProgress(std::string name, std::uint64_t total_rows, Logger& logger,
                             bool interactive)
    : timer_(std::move(name)),
      total_rows_(total_rows),
      logger_(logger),
      interactive_(interactive && logger.level() <= LogLevel::kInfo) {}

StageProgress::~StageProgress() {
  std::lock_guard lock(draw_mutex_);
  clear_bar();
}

void StageProgress::advance(std::uint64_t rows) noexcept {
  rows_done_.fetch_add(rows, std::memory_order_relaxed);
  if (!interactive_) return;
  std::int64_t const now = now_ns();
  std::int64_t due = next_draw_ns_.load(std::memory_order_relaxed);
  if (now < due) return;
  if (!next_draw_ns_.compare_exchange_strong(due, now + kRedrawIntervalNs)) return;
  draw();
}

std::uint64_t StageProgress::rows_done() const noexcept {
  return rows_done_.load(std::memory_order_relaxed);
}

void StageProgress::draw() noexcept {
  std::unique_lock lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  try {
    std::string const line =
        format_progress_line(timer_.name(), rows_done(), total_rows_, timer_.elapsed_seconds());
    // "\033[K" erases what a longer previous line left to the right.
    std::fputs(("\r" + line + "\033[K").c_str(), stderr);
    std::fflush(stderr);
    bar_drawn_ = true;
  } catch (...) {
    // A progress bar is not worth failing a run for.
  }
}

void StageProgress::clear_bar() noexcept {
  if (!bar_drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  bar_drawn_ = false;
}

StageTiming StageProgress::finish() {
  {
    std::lock_guard lock(draw_mutex_);
    finished_ = true;
    clear_bar();
  }
  StageTiming timing = timer_.finish(rows_done());
  logger_.write(LogLevel::kInfo, format_stage_summary(timing));
  return timing;
}

}  // namespace cie
