#include "core/logger.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/privacy.hpp"

namespace cie {

LogLevel parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "quiet") return LogLevel::kQuiet;
  fail(ExitCode::kUsage, "unknown log level '{}' (expected debug, info, warn, error or quiet)",
       name);
}

void Logger::write(LogLevel level, std::string_view message) const {
  if (level < level_) return;
  static constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};
  std::lock_guard lock(mutex_);
  fmt::print(stderr, "cie [{}] {}\n", kNames[static_cast<int>(level)], printable_message(message));
  std::fflush(stderr);
}

}  // namespace cie
