// Errors and exit codes.
//
// Two tiers, as in RAFT and faiss: user-facing checks throw a typed `Error` whose kind maps to
// the process exit code (CIE_EXPECTS and friends, with an fmt-formatted message), and internal
// invariants use CIE_ASSERT, which reports an internal error (exit code 1).
//
// fmt's compile-time format checks do not get through nvcc, so .cu files see only the Error type
// and build their messages with std::string (see kernels/cuda/cuda_check.cuh).
#pragma once

#include <stdexcept>
#include <string>

#include "core/privacy.hpp"

namespace cie {

/// Process exit codes of the `cie` command (ARCHITECTURE.md, "Outputs, bad input and faults").
enum class ExitCode : int {
  kSuccess = 0,
  kInternal = 1,   ///< a bug or an unexpected system failure
  kUsage = 2,      ///< bad command line or configuration
  kInputData = 3,  ///< malformed or unusable input data
  kDevice = 4,     ///< the requested device is unusable or failed
};

/// An error meant for the user: its kind picks the exit code; its message is kept printable and
/// bounded (printable_message: whatever bytes of a header, option or configuration it quotes, it
/// holds no control byte, no NUL that would cut what() short, and no 10 MB line).
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, std::string const& message)
      : std::runtime_error(printable_message(message)), code_(code) {}
  [[nodiscard]] ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

}  // namespace cie

#ifndef __CUDACC__
#include <fmt/format.h>

namespace cie {

template <typename... Args>
[[noreturn]] void fail(ExitCode code, fmt::format_string<Args...> format, Args&&... args) {
  throw Error(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace cie

/// Validates a user-supplied value (parameter, option, configuration): exit code 2.
#define CIE_EXPECTS(condition, ...)                                      \
  do {                                                                   \
    if (!(condition)) ::cie::fail(::cie::ExitCode::kUsage, __VA_ARGS__); \
  } while (false)

/// Validates input data: exit code 3.
#define CIE_EXPECTS_DATA(condition, ...)                                     \
  do {                                                                       \
    if (!(condition)) ::cie::fail(::cie::ExitCode::kInputData, __VA_ARGS__); \
  } while (false)

/// Internal invariant: a failure is a bug in cie (exit code 1).
#define CIE_ASSERT(condition)                                                                   \
  do {                                                                                          \
    if (!(condition))                                                                           \
      ::cie::fail(::cie::ExitCode::kInternal, "internal error: {} failed at {}:{}", #condition, \
                  __FILE__, __LINE__);                                                          \
  } while (false)
#endif  // __CUDACC__
