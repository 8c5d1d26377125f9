// A whole input file mapped read-only into memory, safe against the file changing under it.
//
// A mapped file that shrinks while it is read (a producer still writing it, a log rotation that
// truncates it) makes every read of a page past its new end raise SIGBUS, which would kill the
// process. While a MappedFile lives, a process-wide SIGBUS handler (installed once, on the first
// mapping) recognises a fault inside any live MappedFile, replaces the rest of that mapping by
// zero pages, marks it as truncated and lets the read go on: the reader sees zero bytes instead
// of the lost ones and finishes. It must then call check_unchanged(), which turns the damage (or
// any other change of size or modification time since the file was opened) into an input error.
// A SIGBUS anywhere else goes to the handler that was there before (or kills as by default).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace cie {

class MappedFile {
 public:
  /// Maps the regular file `path`; `noun` names it in messages ("transactions file"). A usage
  /// error (exit 2) when it cannot be opened, is not a regular file or cannot be mapped.
  MappedFile(std::string const& path, std::string_view noun);
  MappedFile(MappedFile const&) = delete;
  MappedFile& operator=(MappedFile const&) = delete;
  ~MappedFile();

  /// The file's bytes as they were mapped (size fixed at opening). Bytes lost to a truncation
  /// read as zeros.
  [[nodiscard]] std::string_view text() const noexcept { return {data_, size_}; }
  [[nodiscard]] std::string const& path() const noexcept { return path_; }

  /// An input error (exit 3) naming the file when it was truncated under the mapping, or when
  /// its size or modification time differ from those at opening (it was rewritten in place
  /// while it was read). Call it after the last read of text(), before anything read from it is
  /// written anywhere.
  void check_unchanged() const;

 private:
  std::string path_;
  std::string noun_;
  int descriptor_ = -1;
  struct stat opened_ {};
  char const* data_ = nullptr;
  std::size_t size_ = 0;
  int slot_ = -1;  ///< its entry in the SIGBUS handler's table, -1 for an empty file
};

}  // namespace cie
