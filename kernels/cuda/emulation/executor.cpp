// Kernel launches of the CUDA emulation: a launch's blocks run one after the other on the
// launching thread, each CUDA thread of a block a fiber (kernels/cuda/emulation/fiber.hpp).
// See kernels/cuda/emulation/device.hpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cuda/emulation/fiber.hpp"
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

/// Where a CUDA thread of the running block stands.
enum class Wait : std::uint8_t { none, block_barrier, warp_barrier, exited };

/// One CUDA thread of a block: its fiber and its place in the barriers. The bookkeeping fields
/// are relaxed atomics: fibers and the scheduler share them with no order between CUDA threads
/// (which is what ThreadSanitizer checks the kernels for).
struct CudaThread {
  Fiber fiber;
  std::atomic<Wait> wait{Wait::none};
  unsigned parity = 0;  // which of the warp's two slot sets this lane's last collective used
};

struct Warp {
  unsigned lanes = 0;                 // mask of the lanes this warp has in the block
  std::atomic<unsigned> exited{0};    // lanes whose thread returned
  std::atomic<unsigned> arrived{0};   // lanes waiting at the warp's barrier
  std::atomic<unsigned> masks[32]{};  // each arrived lane's mask
  // Two sets of slots, used alternately: a lane writes the next set while a slower lane may
  // still read this one, and cannot get further ahead because of the barrier in between.
  std::uint64_t slots[2][32] = {};
  char barrier_token = 0;  // ThreadSanitizer: arrivals happen before departures
};

/// Runs every launch on the launching thread: each block's CUDA threads are fibers, resumed in
/// thread order; a thread at __syncthreads or a warp collective suspends until the last of the
/// block's (or warp's) running threads arrives, which releases them.
class Executor {
 public:
  static Executor& instance() {
    static Executor* executor = new Executor;  // never destroyed: a launch may come at exit
    return *executor;
  }

  void run(LaunchShape const& shape, void (*body)(void*), void* context) {
    std::lock_guard<std::mutex> const lock(launch_mutex_);
    shape_ = shape;
    body_ = body;
    context_ = context;
    threads_ = shape.block.x * shape.block.y * shape.block.z;
    while (threads_list_.size() < threads_) threads_list_.push_back(std::make_unique<CudaThread>());
    dim3 const grid = shape.grid;
    for (unsigned z = 0; z < grid.z; ++z) {
      for (unsigned y = 0; y < grid.y; ++y) {
        for (unsigned x = 0; x < grid.x; ++x) run_block(uint3{x, y, z});
      }
    }
  }

  void sync_block() {
    CudaThread& self = *threads_list_[current_];
    order_release(&block_barrier_token_);
    unsigned const arrived = block_arrived_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (arrived == live_.load(std::memory_order_relaxed)) {
      release_block_barrier();
    } else {
      self.wait.store(Wait::block_barrier, std::memory_order_relaxed);
      self.fiber.suspend();
    }
    order_acquire(&block_barrier_token_);
  }

  std::uint64_t const* warp_exchange(unsigned mask, std::uint64_t bits) {
    unsigned const t = current_;
    CudaThread& self = *threads_list_[t];
    Warp& warp = warps_[t / 32];
    unsigned const lane = t % 32;
    self.parity ^= 1;
    warp.slots[self.parity][lane] = bits;
    warp.masks[lane].store(mask, std::memory_order_relaxed);
    order_release(&warp.barrier_token);
    unsigned const arrived =
        warp.arrived.fetch_or(1u << lane, std::memory_order_relaxed) | 1u << lane;
    if (arrived == (warp.lanes & ~warp.exited.load(std::memory_order_relaxed))) {
      release_warp_barrier(t / 32);
    } else {
      self.wait.store(Wait::warp_barrier, std::memory_order_relaxed);
      self.fiber.suspend();
    }
    order_acquire(&warp.barrier_token);
    return warp.slots[self.parity];
  }

  unsigned warp_live_mask() {
    Warp const& warp = warps_[current_ / 32];
    return warp.lanes & ~warp.exited.load(std::memory_order_relaxed);
  }

  unsigned warp_lanes() { return warps_[current_ / 32].lanes; }

  void* dynamic_shared() { return dynamic_shared_.get(); }

 private:
  Executor()
      : dynamic_shared_(new std::max_align_t[kMaxDynamicShared / sizeof(std::max_align_t)]) {}

  void run_block(uint3 block_index) {
    // Fresh barriers and shared memory; the previous block's threads all ended (acquired below).
    block_arrived_.store(0, std::memory_order_relaxed);
    live_.store(threads_, std::memory_order_relaxed);
    for (unsigned w = 0; w < 32; ++w) {
      unsigned const first = w * 32;
      unsigned const count = first >= threads_ ? 0 : std::min(32u, threads_ - first);
      warps_[w].lanes = count == 32 ? ~0u : (1u << count) - 1;
      warps_[w].exited.store(0, std::memory_order_relaxed);
      warps_[w].arrived.store(0, std::memory_order_relaxed);
    }
    std::memset(dynamic_shared_.get(), 0xFF, shape_.dynamic_shared_bytes);
    blockIdx = block_index;
    blockDim = shape_.block;
    gridDim = shape_.grid;
    for (unsigned t = 0; t < threads_; ++t) {
      CudaThread& thread = *threads_list_[t];
      thread.wait.store(Wait::none, std::memory_order_relaxed);
      thread.parity = 0;
      thread.fiber.start(&Executor::run_thread, this);
    }
    // Sweeps resume every thread that can run, in thread order, until all have returned.
    for (;;) {
      bool ran = false;
      for (unsigned t = 0; t < threads_; ++t) {
        CudaThread& thread = *threads_list_[t];
        if (thread.wait.load(std::memory_order_relaxed) != Wait::none) continue;
        {
          IgnoredWrites const unordered;  // the running thread's coordinates
          current_ = t;
          linear_thread_index = t;
          threadIdx = uint3{t % shape_.block.x, t / shape_.block.x % shape_.block.y,
                            t / (shape_.block.x * shape_.block.y)};
        }
        thread.fiber.resume();
        ran = true;
      }
      if (live_.load(std::memory_order_relaxed) == 0) break;
      if (!ran) die(deadlock_report(block_index));
    }
    order_acquire(&block_end_);
  }

  static void run_thread(void* executor) {
    auto& self = *static_cast<Executor*>(executor);
    try {
      self.body_(self.context_);
    } catch (std::exception const& e) {
      die(std::string("kernel ") + self.shape_.kernel + " threw: " + e.what());
    } catch (...) {
      die(std::string("kernel ") + self.shape_.kernel + " threw");
    }
    self.exit_thread();
  }

  /// The running thread returned: it leaves its warp's and its block's barriers (as on Volta and
  /// later), which may release the threads waiting at them.
  void exit_thread() {
    unsigned const t = current_;
    threads_list_[t]->wait.store(Wait::exited, std::memory_order_relaxed);
    order_release(&block_end_);
    Warp& warp = warps_[t / 32];
    unsigned const exited =
        warp.exited.fetch_or(1u << (t % 32), std::memory_order_relaxed) | 1u << (t % 32);
    unsigned const arrived = warp.arrived.load(std::memory_order_relaxed);
    if (arrived != 0 && arrived == (warp.lanes & ~exited)) release_warp_barrier(t / 32);
    unsigned const live = live_.fetch_sub(1, std::memory_order_relaxed) - 1;
    unsigned const at_barrier = block_arrived_.load(std::memory_order_relaxed);
    if (live != 0 && at_barrier == live) release_block_barrier();
  }

  void release_block_barrier() {
    block_arrived_.store(0, std::memory_order_relaxed);
    for (unsigned t = 0; t < threads_; ++t) {
      std::atomic<Wait>& wait = threads_list_[t]->wait;
      if (wait.load(std::memory_order_relaxed) == Wait::block_barrier) {
        wait.store(Wait::none, std::memory_order_relaxed);
      }
    }
  }

  /// Every running lane of warp `w` arrived: checks that each named exactly those lanes (CUDA
  /// leaves other masks undefined or hangs) and lets them go.
  void release_warp_barrier(unsigned w) {
    Warp& warp = warps_[w];
    unsigned const arrived = warp.arrived.exchange(0, std::memory_order_relaxed);
    unsigned const exited = warp.exited.load(std::memory_order_relaxed);
    for (unsigned lane = 0; lane < 32; ++lane) {
      if ((arrived >> lane & 1u) == 0) continue;
      unsigned const mask = warp.masks[lane].load(std::memory_order_relaxed);
      if ((mask & exited) != 0 || (arrived & ~mask) != 0) {
        char detail[256];
        std::snprintf(detail, sizeof detail,
                      "kernel %s, block (%u,%u,%u), warp %u: lane %u's warp collective has mask "
                      "0x%08x, but the warp's running lanes are 0x%08x (exited: 0x%08x); the "
                      "emulation needs the mask to name exactly the running lanes",
                      shape_.kernel, blockIdx.x, blockIdx.y, blockIdx.z, w, lane, mask, arrived,
                      exited);
        die(detail);
      }
      std::atomic<Wait>& wait = threads_list_[w * 32 + lane]->wait;
      if (wait.load(std::memory_order_relaxed) == Wait::warp_barrier) {
        wait.store(Wait::none, std::memory_order_relaxed);
      }
    }
  }

  /// No thread can run and some have not returned: some wait at __syncthreads while others of
  /// the block wait at a warp collective (a GPU hangs or gives undefined results).
  std::string deadlock_report(uint3 block_index) const {
    unsigned at_block = 0, at_warp = 0;
    for (unsigned t = 0; t < threads_; ++t) {
      Wait const wait = threads_list_[t]->wait.load(std::memory_order_relaxed);
      at_block += wait == Wait::block_barrier ? 1 : 0;
      at_warp += wait == Wait::warp_barrier ? 1 : 0;
    }
    char detail[320];
    std::snprintf(detail, sizeof detail,
                  "kernel %s, block (%u,%u,%u): %u threads wait at __syncthreads while %u wait at "
                  "a warp collective that the others never reach; on a GPU this hangs or is "
                  "undefined",
                  shape_.kernel, block_index.x, block_index.y, block_index.z, at_block, at_warp);
    return detail;
  }

  std::mutex launch_mutex_;
  std::vector<std::unique_ptr<CudaThread>> threads_list_;
  LaunchShape shape_;
  void (*body_)(void*) = nullptr;
  void* context_ = nullptr;
  unsigned threads_ = 0;
  unsigned current_ = 0;                    // the CUDA thread whose fiber runs
  std::atomic<unsigned> live_{0};           // the block's threads that have not returned
  std::atomic<unsigned> block_arrived_{0};  // threads waiting at __syncthreads
  Warp warps_[32];
  std::unique_ptr<std::max_align_t[]> dynamic_shared_;
  // ThreadSanitizer tokens (the scheduler's set-up of a block happens before its threads run:
  // Fiber::start): all of a block's threads happen before the next block (blocks run one after
  // the other here).
  char block_end_ = 0;
  char block_barrier_token_ = 0;  // arrivals at __syncthreads happen before departures
};

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
