// Small helpers shared by the bench drivers (kmeans_driver, logistic_driver, score_driver):
// raw binary arrays as numpy writes them (`array.astype(...).tofile(path)`), wall time and peak
// memory.
#pragma once

#include <chrono>
#include <cstddef>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cie::bench {

/// `count` values of T read from a raw binary file; an input error if it holds fewer.
template <typename T>
std::vector<T> read_values(std::string const& path, std::size_t count) {
  std::vector<T> values(count);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(count * sizeof(T)));
  CIE_EXPECTS_DATA(in.gcount() == static_cast<std::streamsize>(count * sizeof(T)),
                   "{}: expected {} values of {} bytes", path, count, sizeof(T));
  return values;
}

/// Writes `values` as a raw binary file.
template <typename T>
void write_values(std::string const& path, std::vector<T> const& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<char const*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
  CIE_EXPECTS(out.good(), "{}: write failed", path);
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// This process's peak resident memory in bytes: VmHWM of /proc/self/status, the high-water mark
/// of the address space exec gave it. (getrusage's ru_maxrss is no good here: Linux carries it over
/// from the parent across fork and exec, so a driver started by a Python script that holds the
/// generated data would report the script's peak.) 0 where /proc is not there.
inline std::size_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    std::size_t kib = 0;
    fields >> kib;
    return kib * 1024;
  }
  return 0;
}

}  // namespace cie::bench
