// Kernel launches of the CUDA emulation: a pool of real threads, one per CUDA thread of a block,
// runs a launch's blocks one after the other. See kernels/cuda/emulation/device.hpp.
#include <climits>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <linux/futex.h>
#include <memory>
#include <mutex>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>
#include <vector>

#include "kernels/cuda/emulation/runtime_state.hpp"

namespace cie::emulation {
namespace {

constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockX = 1024, kMaxBlockY = 1024, kMaxBlockZ = 64;
constexpr unsigned kMaxGridX = 2147483647u, kMaxGridYZ = 65535;
constexpr std::size_t kMaxDynamicShared = 48 * 1024;  // without cudaFuncSetAttribute's opt-in

[[noreturn]] void die(std::string const& message) {
  std::fprintf(stderr, "cie CUDA emulation: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Sleeps while `word` holds `value` (a futex wait: no spinning, which on a machine with few
/// cores only delays the threads being waited for). Callers recheck with an acquire load, which
/// is the edge ThreadSanitizer sees.
void sleep_while(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr,
          nullptr, 0);
}

void wake_all(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
          nullptr, 0);
}

void wake_one(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

/// A reusable barrier for a fixed group of threads, any of which may leave the group for good
/// (arrive_and_drop: a thread that exits a kernel no longer holds up __syncthreads, as on
/// Volta and later). Acquire/release atomics, so ThreadSanitizer sees its edges.
class Barrier {
 public:
  /// Only while no thread is at the barrier.
  void reset(int expected) {
    expected_.store(expected, std::memory_order_relaxed);
    remaining_.store(expected, std::memory_order_relaxed);
  }

  template <typename Completion>
  void arrive_and_wait(Completion&& completion) {
    std::uint32_t const phase = phase_.load(std::memory_order_acquire);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      completion();
      open();
      return;
    }
    while (phase_.load(std::memory_order_acquire) == phase) sleep_while(phase_, phase);
  }
  void arrive_and_wait() {
    arrive_and_wait([] {});
  }

  void arrive_and_drop() {
    expected_.fetch_sub(1, std::memory_order_acq_rel);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) open();
  }

 private:
  void open() {
    remaining_.store(expected_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    phase_.fetch_add(1, std::memory_order_release);
    wake_all(phase_);
  }

  std::atomic<int> expected_{0};
  std::atomic<int> remaining_{0};
  std::atomic<std::uint32_t> phase_{0};
};

struct Warp {
  Barrier barrier;
  std::atomic<unsigned> exited{0};
  unsigned lanes = 0;  // mask of the lanes this warp has in the block
  // Two sets of slots, used alternately: a lane writes the next set while a slower lane may
  // still read this one, and cannot get further ahead because of the barrier in between.
  std::uint64_t slots[2][32] = {};
};

class Executor {
 public:
  static Executor& instance() {
    static Executor* executor = new Executor;  // never destroyed: its threads outlive main
    return *executor;
  }

  void run(LaunchShape const& shape, void (*body)(void*), void* context) {
    std::lock_guard<std::mutex> const lock(launch_mutex_);
    shape_ = shape;
    body_ = body;
    context_ = context;
    threads_ = shape.block.x * shape.block.y * shape.block.z;
    lock_step_ = free_running_kernels_.count(shape.kernel_address) == 0;
    used_block_facilities_.store(false, std::memory_order_relaxed);
    block_end_.reset(static_cast<int>(threads_));
    reset_block();
    while (workers_.size() < threads_) {
      auto worker = std::make_unique<Worker>();
      unsigned const index = static_cast<unsigned>(workers_.size());
      Worker* const self = worker.get();
      worker->thread = std::thread([this, self, index] { work(*self, index); });
      worker->thread.detach();
      workers_.push_back(std::move(worker));
    }
    finished_.store(0, std::memory_order_relaxed);
    for (unsigned t = 0; t < threads_; ++t) {
      workers_[t]->go.fetch_add(1, std::memory_order_release);
      wake_one(workers_[t]->go);
    }
    for (std::uint32_t done = finished_.load(std::memory_order_acquire); done != threads_;
         done = finished_.load(std::memory_order_acquire)) {
      sleep_while(finished_, done);
    }
    if (lock_step_ && !used_block_facilities_.load(std::memory_order_relaxed)) {
      free_running_kernels_.insert(shape.kernel_address);
    }
  }

  void sync_block() {
    note_block_facility("__syncthreads");
    block_sync_.arrive_and_wait();
  }

  std::uint64_t const* warp_exchange(unsigned mask, std::uint64_t bits) {
    note_block_facility("a warp collective");
    Warp& warp = warps_[linear_thread_index / 32];
    unsigned const lane = linear_thread_index % 32;
    unsigned const exited = warp.exited.load(std::memory_order_relaxed);
    if ((mask & exited) != 0 || (warp.lanes & ~exited & ~mask) != 0) {
      char detail[256];
      std::snprintf(detail, sizeof detail,
                    "kernel %s, block (%u,%u,%u), warp %u: a warp collective with mask 0x%08x, "
                    "but the warp's running lanes are 0x%08x (exited: 0x%08x); the emulation "
                    "needs the mask to name exactly the running lanes",
                    shape_.kernel, blockIdx.x, blockIdx.y, blockIdx.z, linear_thread_index / 32,
                    mask, warp.lanes & ~exited, exited);
      die(detail);
    }
    parity_ ^= 1;
    warp.slots[parity_][lane] = bits;
    warp.barrier.arrive_and_wait();
    return warp.slots[parity_];
  }

  unsigned warp_live_mask() {
    Warp const& warp = warps_[linear_thread_index / 32];
    return warp.lanes & ~warp.exited.load(std::memory_order_relaxed);
  }

  unsigned warp_lanes() { return warps_[linear_thread_index / 32].lanes; }

  void* dynamic_shared() {
    note_block_facility("dynamic shared memory");
    return dynamic_shared_.get();
  }

 private:
  struct Worker {
    std::thread thread;
    std::atomic<std::uint32_t> go{0};
  };

  Executor()
      : dynamic_shared_(new std::max_align_t[kMaxDynamicShared / sizeof(std::max_align_t)]) {}

  void note_block_facility(char const* what) {
    if (!lock_step_) {
      die(std::string("kernel ") + shape_.kernel + " used " + what +
          " in a launch after one that used no block facility, whose blocks therefore no longer "
          "run in lock step; this emulation cannot run such a kernel");
    }
    used_block_facilities_.store(true, std::memory_order_relaxed);
  }

  /// Fresh barriers and shared memory for the next block; runs while no thread is in a block.
  void reset_block() {
    block_sync_.reset(static_cast<int>(threads_));
    for (unsigned w = 0; w < 32; ++w) {
      unsigned const first = w * 32;
      unsigned const count = first >= threads_ ? 0 : std::min(32u, threads_ - first);
      warps_[w].barrier.reset(static_cast<int>(count));
      warps_[w].exited.store(0, std::memory_order_relaxed);
      warps_[w].lanes = count == 32 ? ~0u : (1u << count) - 1;
    }
    std::memset(dynamic_shared_.get(), 0xFF, shape_.dynamic_shared_bytes);
  }

  /// Worker `index` runs CUDA thread `index` of every block of each launch it is woken for.
  void work(Worker& worker, unsigned index) {
    std::uint32_t seen = 0;
    for (;;) {
      while (worker.go.load(std::memory_order_acquire) == seen) sleep_while(worker.go, seen);
      seen = worker.go.load(std::memory_order_acquire);
      run_blocks(index);
      // Read before finishing: once all have finished, the next launch may change it.
      unsigned const threads = threads_;
      if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads) wake_all(finished_);
    }
  }

  void run_blocks(unsigned t) {
    dim3 const block = shape_.block;
    dim3 const grid = shape_.grid;
    linear_thread_index = t;
    threadIdx = uint3{t % block.x, t / block.x % block.y, t / (block.x * block.y)};
    blockDim = block;
    gridDim = grid;
    Warp& warp = warps_[t / 32];
    unsigned const lane_bit = 1u << (t % 32);
    for (unsigned z = 0; z < grid.z; ++z) {
      for (unsigned y = 0; y < grid.y; ++y) {
        for (unsigned x = 0; x < grid.x; ++x) {
          blockIdx = uint3{x, y, z};
          parity_ = 0;
          try {
            body_(context_);
          } catch (std::exception const& e) {
            die(std::string("kernel ") + shape_.kernel + " threw: " + e.what());
          } catch (...) {
            die(std::string("kernel ") + shape_.kernel + " threw");
          }
          if (!lock_step_) continue;
          warp.exited.fetch_or(lane_bit, std::memory_order_relaxed);
          warp.barrier.arrive_and_drop();
          block_sync_.arrive_and_drop();
          block_end_.arrive_and_wait([this] { reset_block(); });
        }
      }
    }
  }

  std::mutex launch_mutex_;
  std::vector<std::unique_ptr<Worker>> workers_;
  LaunchShape shape_;
  void (*body_)(void*) = nullptr;
  void* context_ = nullptr;
  unsigned threads_ = 0;
  bool lock_step_ = true;
  std::atomic<bool> used_block_facilities_{false};
  std::unordered_set<std::uintptr_t> free_running_kernels_;
  std::atomic<std::uint32_t> finished_{0};
  Barrier block_sync_;
  Barrier block_end_;
  Warp warps_[32];
  std::unique_ptr<std::max_align_t[]> dynamic_shared_;
  static thread_local unsigned parity_;
};

thread_local unsigned Executor::parity_ = 0;

std::string dims(dim3 d) {
  return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " + std::to_string(d.z) + ")";
}

/// Why an H100 would refuse this launch, or empty.
std::string launch_limit_violation(LaunchShape const& shape, cudaError_t& code) {
  code = cudaErrorInvalidConfiguration;
  dim3 const b = shape.block;
  dim3 const g = shape.grid;
  std::string const what = std::string("launch of ") + shape.kernel + " with grid " + dims(g) +
                           " and block " + dims(b) + ": ";
  if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0) {
    return what + "a zero dimension";
  }
  if (static_cast<unsigned long long>(b.x) * b.y * b.z > kMaxThreadsPerBlock) {
    return what + std::to_string(static_cast<unsigned long long>(b.x) * b.y * b.z) +
           " threads per block exceed the H100's limit of 1024";
  }
  if (b.x > kMaxBlockX || b.y > kMaxBlockY || b.z > kMaxBlockZ) {
    return what + "block dimensions exceed the H100's (1024, 1024, 64)";
  }
  if (g.x > kMaxGridX || g.y > kMaxGridYZ || g.z > kMaxGridYZ) {
    return what + "grid dimensions exceed the H100's (2147483647, 65535, 65535)";
  }
  if (shape.dynamic_shared_bytes > kMaxDynamicShared) {
    code = cudaErrorInvalidValue;
    return what + std::to_string(shape.dynamic_shared_bytes) +
           " bytes of dynamic shared memory exceed the 49152 a kernel gets without opting in";
  }
  if (!stream_is_valid(shape.stream)) {
    code = cudaErrorInvalidResourceHandle;
    return what + "the stream was destroyed or never created";
  }
  return {};
}

}  // namespace

void launch_kernel(LaunchShape const& shape, void (*body)(void*), void* context) {
  cudaError_t code = cudaSuccess;
  std::string const violation = launch_limit_violation(shape, code);
  if (!violation.empty()) {
    std::fprintf(stderr, "cie CUDA emulation: %s\n", violation.c_str());
    set_launch_error(code, violation);
    return;
  }
  Executor::instance().run(shape, body, context);
}

void sync_block() { Executor::instance().sync_block(); }

std::uint64_t const* warp_exchange(unsigned mask, std::uint64_t bits) {
  return Executor::instance().warp_exchange(mask, bits);
}

unsigned warp_live_mask() { return Executor::instance().warp_live_mask(); }

unsigned warp_lanes() { return Executor::instance().warp_lanes(); }

void* dynamic_shared_memory() { return Executor::instance().dynamic_shared(); }

}  // namespace cie::emulation
