// Human-readable quantities: counts, durations and byte sizes, as the run log and run report
// print them, and the memory sizes users write in configuration files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cie {

/// 1234567 -> "1,234,567" (comma thousands separators, whatever the locale).
std::string format_count(std::uint64_t count);

/// A duration for a log line or an ETA. Below a minute: "0.85 s", "1.23 s", "12.3 s" (two
/// decimals below 10 s, one below 60 s); below an hour: "3m 05s"; above: "2h 07m". Negative or
/// non-finite values print as "?".
std::string format_duration(double seconds);

/// A throughput rounded to the nearest whole row: "812,345 rows/s"; "? rows/s" when `seconds`
/// is not positive.
std::string format_rate(std::uint64_t rows, double seconds);

/// A byte size in binary units with one decimal: "512 B", "1.5 KiB", "64.0 MiB", "3.2 GiB".
std::string format_bytes(std::uint64_t bytes);

/// Parses a memory size as written in a configuration file or on the command line: a positive
/// number (decimals allowed, "1.5GiB") with an optional unit, case-insensitive, optionally
/// separated by one space:
///   no unit or "B"                 bytes
///   K, M, G, T and KiB, MiB, GiB, TiB   powers of 1024 (as systemd, Docker and the JVM read "2G")
///   KB, MB, GB, TB                  powers of 1000 (SI)
/// The result is rounded down to whole bytes. Zero, negative, malformed or overflowing values
/// are a usage error (exit 2) whose message starts with `setting` (e.g. "memory_limit") and
/// quotes the value.
std::size_t parse_memory_size(std::string_view text, std::string_view setting = "memory size");

}  // namespace cie
