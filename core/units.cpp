#include "core/units.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace cie {
namespace {

struct Unit {
  std::string_view name;
  double bytes;
};

constexpr double kKi = 1024.0;
constexpr std::array<Unit, 14> kUnits{{
    {"", 1.0},
    {"b", 1.0},
    {"k", kKi},
    {"kib", kKi},
    {"m", kKi* kKi},
    {"mib", kKi* kKi},
    {"g", kKi* kKi* kKi},
    {"gib", kKi* kKi* kKi},
    {"t", kKi* kKi* kKi* kKi},
    {"tib", kKi* kKi* kKi* kKi},
    {"kb", 1e3},
    {"mb", 1e6},
    {"gb", 1e9},
    {"tb", 1e12},
}};

}  // namespace

std::string format_count(std::uint64_t count) {
  std::string digits = std::to_string(count);
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  return grouped;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 9.995) return fmt::format("{:.2f} s", seconds);
  if (seconds < 59.95) return fmt::format("{:.1f} s", seconds);
  auto const whole = static_cast<std::uint64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{}m {:02}s", whole / 60, whole % 60);
  return fmt::format("{}h {:02}m", whole / 3600, whole % 3600 / 60);
}

std::string format_rate(std::uint64_t rows, double seconds) {
  if (!(seconds > 0) || !std::isfinite(seconds)) return "? rows/s";
  double const rate = std::round(static_cast<double>(rows) / seconds);
  return format_count(static_cast<std::uint64_t>(rate)) + " rows/s";
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  static constexpr std::array<std::string_view, 6> kNames{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / kKi;
  std::size_t unit = 0;
  while (value >= 1023.95 && unit + 1 < kNames.size()) {
    value /= kKi;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kNames[unit]);
}

std::size_t parse_memory_size(std::string_view text, std::string_view setting) {
  auto invalid = [&](std::string_view why) -> std::size_t {
    fail(ExitCode::kUsage,
         "{}: invalid memory size '{}' ({}); expected a positive number with an optional unit, "
         "e.g. 4GiB, 512MiB, 2G or 1000000",
         setting, text, why);
  };
  std::size_t end = 0;
  bool seen_digit = false;
  bool seen_point = false;
  for (; end < text.size(); ++end) {
    char const c = text[end];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!seen_digit) return invalid("no number");
  double const number = std::stod(std::string(text.substr(0, end)));

  std::string_view suffix = text.substr(end);
  if (suffix.starts_with(' ')) suffix.remove_prefix(1);
  std::string unit;
  for (char c : suffix)
    unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (Unit const& known : kUnits) {
    if (unit != known.name) continue;
    double const bytes = std::floor(number * known.bytes);
    if (bytes < 1) return invalid("must be at least 1 byte");
    // 2^64 is exactly representable; anything at or above it does not fit a size_t.
    if (bytes >= 18446744073709551616.0) return invalid("too large");
    return static_cast<std::size_t>(bytes);
  }
  return invalid(fmt::format("unknown unit '{}'", suffix));
}

}  // namespace cie
