// Cancellation of long computations (Ctrl-C).
//
// The caller of a computation installs an interrupt check for its thread with an InterruptScope;
// the long loops call check_interrupt() between their steps: k-means iterations, Hartigan passes
// and n_init runs, every objective evaluation of the optimizers (logistic regression, CLV),
// every boosting round. When the check says so, check_interrupt() throws Interrupted, the
// computation's partial results are dropped with the stack, and it has written nothing. The
// check is per thread (thread_local), and called only from the thread that runs the computation,
// never inside a parallel region. The CLI's check reads its SIGINT flag (exit code 130); the
// Python bindings' runs Python's signal handlers (KeyboardInterrupt). No check installed: never
// interrupted.
#pragma once

#include <functional>

#include "core/error.hpp"

namespace cie {

/// The exit code of an interrupted command: 128 + SIGINT, as a shell reports it.
inline constexpr ExitCode kInterruptedExit = static_cast<ExitCode>(130);

/// A computation stopped by its interrupt check: an Error with code kInterruptedExit and the
/// message "interrupted".
class Interrupted : public Error {
 public:
  Interrupted() : Error(kInterruptedExit, "interrupted") {}
};

/// Installs `check` as this thread's interrupt check for the scope's lifetime (the previous one
/// is restored after). `check` returns true when the running computation must stop.
class InterruptScope {
 public:
  explicit InterruptScope(std::function<bool()> check);
  ~InterruptScope();
  InterruptScope(InterruptScope const&) = delete;
  InterruptScope& operator=(InterruptScope const&) = delete;

 private:
  std::function<bool()> previous_;
};

/// Throws Interrupted when this thread's interrupt check returns true; nothing without one.
void check_interrupt();

}  // namespace cie
