// A small leveled logger writing one line per message to stderr.
//
// Contract: messages never contain customer-level values (ids, amounts of one customer); they
// carry counts, timings and file names only. Thread-safe.
//
// The fmt-formatting members are hidden from nvcc (fmt's compile-time checks do not get through
// it); .cu files call write() with a ready message.
#pragma once

#include <mutex>
#include <string_view>

#ifndef __CUDACC__
#include <fmt/format.h>
#endif

namespace cie {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

/// Parses "debug", "info", "warn", "error" or "quiet"; throws a usage error otherwise.
LogLevel parse_log_level(std::string_view name);

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kInfo) : level_(level) {}

  [[nodiscard]] LogLevel level() const noexcept { return level_; }
  void set_level(LogLevel level) noexcept { level_ = level; }

#ifndef __CUDACC__
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) const {
    write(LogLevel::kInfo, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) const {
    write(LogLevel::kWarn, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) const {
    if (level_ <= LogLevel::kDebug)
      write(LogLevel::kDebug, fmt::format(format, std::forward<Args>(args)...));
  }
#endif
  void write(LogLevel level, std::string_view message) const;

 private:
  LogLevel level_;
  mutable std::mutex mutex_;
};

}  // namespace cie
