// Fibers for the CUDA emulation's executor (kernels/cuda/emulation/executor.cpp): each CUDA
// thread of a block runs on its own stack, all of them on the thread that launched the kernel,
// and __syncthreads or a warp collective switches to the next one: no system thread per CUDA
// thread, no futex. The switch is Boost.Context's fcontext (a few instructions, no system call);
// its higher-level boost::context::fiber is not used because it switches stacks internally (at
// creation and exit) where the sanitizers could not be told.
//
// The sanitizers are told of every switch:
// - AddressSanitizer: each fiber's stack is announced (__sanitizer_start/finish_switch_fiber), a
//   fiber that ends frees its fake stack, and a restarted fiber's stack is unpoisoned. A guard
//   page under each stack makes an overflow a fault, not a silent overwrite.
// - ThreadSanitizer: each fiber is its own TSan fiber, and switches establish no ordering
//   (__tsan_switch_to_fiber_no_sync), so accesses of two CUDA threads are a race unless the
//   executor orders them as CUDA does: `order_release`/`order_acquire` on a token (a barrier,
//   a block's end), and what the scheduler did before `start` happens before the body. The
//   scheduler's own bookkeeping that fibers read without such an order (the thread coordinates) is
//   written inside `IgnoredWrites`.
#pragma once

#include <boost/context/detail/fcontext.hpp>
#include <cstddef>
namespace cie::emulation {

class Fiber {
 public:
  Fiber();
  ~Fiber();
  Fiber(Fiber const&) = delete;
  Fiber& operator=(Fiber const&) = delete;

  /// From the scheduler: makes the fiber run `body(argument)` from the top of its stack at its
  /// next resume (a fiber that finished, or a new one). Everything the scheduler did before
  /// happens before the body (ThreadSanitizer).
  void start(void (*body)(void*), void* argument);
  /// From the scheduler: runs this fiber until it suspends or its body returns.
  void resume();
  /// From inside this fiber: back to the scheduler until the next resume.
  void suspend();

 private:
  static void trampoline(boost::context::detail::transfer_t from);
  void switched_in();

  boost::context::detail::fcontext_t context_ = nullptr;            // this fiber, while suspended
  boost::context::detail::fcontext_t scheduler_context_ = nullptr;  // who resumed it
  void* mapping_ = nullptr;
  char* stack_ = nullptr;
  void (*body_)(void*) = nullptr;
  void* argument_ = nullptr;
  void* asan_fake_stack_ = nullptr;
  void* tsan_fiber_ = nullptr;
};

/// ThreadSanitizer: everything the calling CUDA thread did before `order_release(token)`
/// happens before what any thread does after a later `order_acquire(token)`. No-ops otherwise.
void order_release(void const* token);
void order_acquire(void const* token);

/// ThreadSanitizer ignores the calling thread's writes while one of these lives (the scheduler's
/// writes of the thread coordinates every fiber reads). Nothing otherwise.
class IgnoredWrites {
 public:
  IgnoredWrites();
  ~IgnoredWrites();
  IgnoredWrites(IgnoredWrites const&) = delete;
  IgnoredWrites& operator=(IgnoredWrites const&) = delete;
};

}  // namespace cie::emulation
