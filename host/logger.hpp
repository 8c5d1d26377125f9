// A small leveled logger writing one line per message to stderr.
//
// Contract: messages never contain customer-level values (ids, amounts of one customer); they
// carry counts, timings and file names only. Thread-safe.
#pragma once

#include <fmt/format.h>

#include <mutex>
#include <string_view>

namespace cie {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kQuiet = 4 };

/// Parses "debug", "info", "warn", "error" or "quiet"; throws a usage error otherwise.
LogLevel parse_log_level(std::string_view name);

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kInfo) : level_(level) {}

  [[nodiscard]] LogLevel level() const noexcept { return level_; }
  void set_level(LogLevel level) noexcept { level_ = level; }

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
    if (level_ <= LogLevel::kDebug) write(LogLevel::kDebug, fmt::format(format, std::forward<Args>(args)...));
  }
  void write(LogLevel level, std::string_view message) const;

 private:
  LogLevel level_;
  mutable std::mutex mutex_;
};

}  // namespace cie
