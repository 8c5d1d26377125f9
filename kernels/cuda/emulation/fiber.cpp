// Fibers of the CUDA emulation: Boost.Context fcontext switches with the sanitizers' fiber
// annotations.
// See kernels/cuda/emulation/fiber.hpp.
#include "kernels/cuda/emulation/fiber.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define CIE_FIBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CIE_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define CIE_FIBER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CIE_FIBER_TSAN 1
#endif
#endif

#ifdef CIE_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef CIE_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
// ThreadSanitizer's dynamic annotations (its runtime defines them; no header declares them).
extern "C" void AnnotateIgnoreWritesBegin(char const* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(char const* file, int line);
#endif

namespace cie::emulation {
namespace {

// A kernel's CUDA thread needs little stack (its locals, the kernel's calls); AddressSanitizer's
// redzones at -O1 included, the deepest kernel here uses a few KiB. The guard page below makes an
// overflow a fault.
constexpr std::size_t kFiberStackBytes = std::size_t{128} << 10;

namespace fcontext = boost::context::detail;

/// The scheduler's side of the switches: one launch runs at a time (the executor's mutex), on the
/// thread that launched it.
struct SchedulerSide {
  void* asan_fake_stack = nullptr;
  void const* stack_bottom = nullptr;  // learnt by each fiber as it is switched in
  std::size_t stack_size = 0;
  void* tsan_fiber = nullptr;
};
SchedulerSide fiber_scheduler;

[[noreturn]] void fiber_failure(char const* what) {
  std::fprintf(stderr, "cie CUDA emulation: %s\n", what);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

Fiber::Fiber() {
  std::size_t const page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  mapping_ = mmap(nullptr, kFiberStackBytes + page, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping_ == MAP_FAILED) fiber_failure("no memory for a CUDA thread's stack");
  if (mprotect(mapping_, page, PROT_NONE) != 0) fiber_failure("cannot protect a stack guard page");
  stack_ = static_cast<char*>(mapping_) + page;
#ifdef CIE_FIBER_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

Fiber::~Fiber() {
#ifdef CIE_FIBER_TSAN
  __tsan_destroy_fiber(tsan_fiber_);
#endif
  munmap(mapping_, kFiberStackBytes + static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
}

void Fiber::start(void (*body)(void*), void* argument) {
  body_ = body;
  argument_ = argument;
  asan_fake_stack_ = nullptr;
#ifdef CIE_FIBER_ASAN
  // The frames of the fiber's last body never returned: their redzones are still poisoned.
  ASAN_UNPOISON_MEMORY_REGION(stack_, kFiberStackBytes);
#endif
  context_ =
      fcontext::make_fcontext(stack_ + kFiberStackBytes, kFiberStackBytes, &Fiber::trampoline);
  order_release(this);  // all the scheduler did so far happens before the body
}

// Under ThreadSanitizer, what a function does after __tsan_switch_to_fiber counts as the target
// fiber's: each switch reads what it needs before announcing itself.

void Fiber::resume() {
  fcontext::fcontext_t const target = context_;
#ifdef CIE_FIBER_ASAN
  __sanitizer_start_switch_fiber(&fiber_scheduler.asan_fake_stack, stack_, kFiberStackBytes);
#endif
#ifdef CIE_FIBER_TSAN
  {
    IgnoredWrites const unordered;  // read by every fiber as it suspends
    fiber_scheduler.tsan_fiber = __tsan_get_current_fiber();
  }
  __tsan_switch_to_fiber(tsan_fiber_, __tsan_switch_to_fiber_no_sync);
#endif
  fcontext::fcontext_t const suspended = fcontext::jump_fcontext(target, this).fctx;
#ifdef CIE_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fiber_scheduler.asan_fake_stack, nullptr, nullptr);
#endif
  context_ = suspended;
}

void Fiber::suspend() {
  fcontext::fcontext_t const target = scheduler_context_;
#ifdef CIE_FIBER_ASAN
  __sanitizer_start_switch_fiber(&asan_fake_stack_, fiber_scheduler.stack_bottom,
                                 fiber_scheduler.stack_size);
#endif
#ifdef CIE_FIBER_TSAN
  __tsan_switch_to_fiber(fiber_scheduler.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
  fcontext::fcontext_t const scheduler = fcontext::jump_fcontext(target, nullptr).fctx;
  switched_in();
  scheduler_context_ = scheduler;
}

void Fiber::switched_in() {
#ifdef CIE_FIBER_ASAN
  __sanitizer_finish_switch_fiber(asan_fake_stack_, &fiber_scheduler.stack_bottom,
                                  &fiber_scheduler.stack_size);
#endif
}

void Fiber::trampoline(fcontext::transfer_t from) {
  auto* const self = static_cast<Fiber*>(from.data);
  self->switched_in();
  order_acquire(self);
  self->scheduler_context_ = from.fctx;
  self->body_(self->argument_);
  fcontext::fcontext_t const target = self->scheduler_context_;
  // Leaves for good: ASan frees the fake stack (nullptr); start() makes a new context.
#ifdef CIE_FIBER_ASAN
  __sanitizer_start_switch_fiber(nullptr, fiber_scheduler.stack_bottom, fiber_scheduler.stack_size);
#endif
#ifdef CIE_FIBER_TSAN
  __tsan_switch_to_fiber(fiber_scheduler.tsan_fiber, __tsan_switch_to_fiber_no_sync);
#endif
  fcontext::jump_fcontext(target, nullptr);
  fiber_failure("a finished fiber was resumed");
}

void order_release([[maybe_unused]] void const* token) {
#ifdef CIE_FIBER_TSAN
  __tsan_release(const_cast<void*>(token));
#endif
}

void order_acquire([[maybe_unused]] void const* token) {
#ifdef CIE_FIBER_TSAN
  __tsan_acquire(const_cast<void*>(token));
#endif
}

IgnoredWrites::IgnoredWrites() {
#ifdef CIE_FIBER_TSAN
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
}

IgnoredWrites::~IgnoredWrites() {
#ifdef CIE_FIBER_TSAN
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
#endif
}

}  // namespace cie::emulation
