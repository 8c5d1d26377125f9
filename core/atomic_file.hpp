// Output files that appear whole or not at all.
//
// AtomicFile writes to a temporary file beside the target (same directory, so the final rename
// is atomic on POSIX file systems) and renames it over the target on commit(). Destroyed without
// commit() (an exception, an early return), it removes the temporary file and leaves any
// previous target untouched. A replaced target keeps its permission bits (a chmod 600 output
// stays 600); a new one gets the umask's. Temporaries that a killed cie left beside the same
// target (its "<target>.tmp-<pid>-<n>" names, whose process is gone) are removed when the next
// AtomicFile for that target opens; nothing else is ever removed.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace cie {

class AtomicFile {
 public:
  /// Opens "<target>.tmp-<pid>-<n>" for writing; a usage error (exit 2) if it cannot be created.
  explicit AtomicFile(std::string target);
  AtomicFile(AtomicFile const&) = delete;
  AtomicFile& operator=(AtomicFile const&) = delete;
  ~AtomicFile();

  /// Appends bytes; throws an internal error if the write fails (disk full, I/O error).
  void write(std::string_view bytes);
  /// Flushes, fsyncs and renames over the target. Call once.
  void commit();

  [[nodiscard]] std::string const& target() const noexcept { return target_; }
  [[nodiscard]] std::string const& temporary_path() const noexcept { return temporary_; }

 private:
  std::string target_;
  std::string temporary_;
  std::FILE* file_ = nullptr;
};

/// Writes `bytes` to `target` atomically (AtomicFile in one call).
void write_file_atomically(std::string const& target, std::string_view bytes);

/// Creates a directory and its parents if missing; a usage error if that fails.
void ensure_directory(std::string const& path);

}  // namespace cie
