// Device built-ins of the CUDA emulation (kernels/cuda/emulation/README.md): threadIdx and its
// kin, __syncthreads, warp shuffles, votes and ballots, atomics, __ldg, dynamic shared memory,
// and the kernel launch behind CIE_LAUNCH (kernels/cuda/launch.cuh).
//
// A launch runs its blocks one after the other on the launching thread; each CUDA thread of a
// block is a fiber (kernels/cuda/emulation/executor.cpp, fiber.hpp). __syncthreads is a barrier
// over the block's threads and every warp collective a barrier over the warp's 32 lanes: a
// thread that reaches one suspends until the last running thread arrives. A missing barrier is
// a wrong result, or a data race for ThreadSanitizer, which sees each fiber as its own thread
// and only the orderings CUDA guarantees. Included through the emulation's <cuda_runtime.h>;
// never by code built with nvcc.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector_types.h>

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim{1, 1, 1};
inline thread_local dim3 gridDim{1, 1, 1};
inline constexpr int warpSize = 32;

namespace cie::emulation {

/// A launch's shape and where it goes; checked against an H100's limits by launch_kernel.
struct LaunchShape {
  char const* kernel = "";
  std::uintptr_t kernel_address = 0;  ///< tells kernels apart (the executor learns their habits)
  dim3 grid;
  dim3 block;
  std::size_t dynamic_shared_bytes = 0;
  cudaStream_t stream = nullptr;
};

/// Runs `body(context)` once per CUDA thread of `shape`, block after block (a block starts when
/// the one before has finished), on the calling thread; returns when all have finished. Threads
/// waiting at barriers that can never open (part of a block at __syncthreads, others at a warp
/// collective) stop the run with a message. A launch that breaks an H100 limit runs nothing and
/// sets the calling thread's last CUDA error (cudaPeekAtLastError), with the reason in
/// cudaGetErrorString.
void launch_kernel(LaunchShape const& shape, void (*body)(void*), void* context);

/// The block's __syncthreads barrier.
void sync_block();
/// The warp's barrier: every lane of the warp that has not exited must call it (`mask` must name
/// exactly those lanes, as the kernels here always do). Returns the warp's exchange slots after
/// this lane stored `bits` in its own: slot l holds lane l's value.
std::uint64_t const* warp_exchange(unsigned mask, std::uint64_t bits);
/// Mask of the calling warp's lanes that have not exited.
unsigned warp_live_mask();
/// Mask of the lanes the calling warp has in its block (all 32 but in a partial last warp).
unsigned warp_lanes();
/// The block's dynamic shared memory (the launch's size, filled with 0xFF bytes at block start
/// so that reading it before writing it gives NaN or -1).
void* dynamic_shared_memory();

/// Binds a kernel, its launch shape and its arguments (converted to the kernel's parameter types
/// and copied once, as CUDA copies them to the device) and launches it.
template <typename... Params>
class Launch {
 public:
  Launch(void (*kernel)(Params...), LaunchShape shape) : kernel_(kernel), shape_(shape) {}

  template <typename... Args>
  void operator()(Args&&... args) const {
    static_assert(sizeof...(Args) == sizeof...(Params),
                  "kernel launched with a wrong argument count");
    struct Bound {
      void (*kernel)(Params...);
      std::tuple<std::decay_t<Params>...> params;
    } bound{kernel_, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
    launch_kernel(
        shape_,
        [](void* context) {
          auto* b = static_cast<Bound*>(context);
          std::apply(b->kernel, b->params);
        },
        &bound);
  }

 private:
  void (*kernel_)(Params...);
  LaunchShape shape_;
};

template <typename... Params>
Launch<Params...> make_launch(char const* name, void (*kernel)(Params...), dim3 grid, dim3 block,
                              std::size_t dynamic_shared_bytes, cudaStream_t stream) {
  return Launch<Params...>(kernel, LaunchShape{name, reinterpret_cast<std::uintptr_t>(kernel), grid,
                                               block, dynamic_shared_bytes, stream});
}

template <typename T>
std::uint64_t to_bits(T value) {
  static_assert(sizeof(T) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<T>,
                "warp shuffles move values of at most 8 bytes");
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  return bits;
}

template <typename T>
T from_bits(std::uint64_t bits) {
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

/// The calling thread's index in its block, x fastest: its lane is this modulo 32.
inline thread_local unsigned linear_thread_index = 0;

inline int lane_id() { return static_cast<int>(linear_thread_index % 32u); }

/// Lane `source`'s value, or the lane's own when `inside` is false (the source lies outside the
/// lane's segment, where CUDA's shuffles return the caller's value).
template <typename T>
T shuffle(unsigned mask, T value, int source, bool inside) {
  std::uint64_t const* slots = warp_exchange(mask, to_bits(value));
  return inside ? from_bits<T>(slots[source]) : value;
}

}  // namespace cie::emulation

inline void __syncthreads() { cie::emulation::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  (void)cie::emulation::warp_exchange(mask, 0);
}
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline unsigned __activemask() { return cie::emulation::warp_live_mask(); }

template <typename T>
T __shfl_sync(unsigned mask, T value, int source_lane, int width = 32) {
  int const lane = cie::emulation::lane_id();
  int const base = lane - lane % width;
  int const source = base + (source_lane % width + width) % width;
  return cie::emulation::shuffle(mask, value, source, true);
}

template <typename T>
T __shfl_down_sync(unsigned mask, T value, unsigned delta, int width = 32) {
  int const lane = cie::emulation::lane_id();
  int const segment_end = lane - lane % width + width;
  int const source = lane + static_cast<int>(delta);
  return cie::emulation::shuffle(mask, value, source, source < segment_end);
}

template <typename T>
T __shfl_up_sync(unsigned mask, T value, unsigned delta, int width = 32) {
  int const lane = cie::emulation::lane_id();
  int const segment_begin = lane - lane % width;
  int const source = lane - static_cast<int>(delta);
  return cie::emulation::shuffle(mask, value, source, source >= segment_begin);
}

template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int lane_mask, int width = 32) {
  int const lane = cie::emulation::lane_id();
  int const source = lane ^ lane_mask;
  return cie::emulation::shuffle(mask, value, source, source < lane - lane % width + width);
}

inline unsigned __ballot_sync(unsigned mask, int predicate) {
  std::uint64_t const* slots = cie::emulation::warp_exchange(mask, predicate != 0 ? 1 : 0);
  unsigned ballot = 0;
  for (unsigned lane = 0; lane < 32; ++lane) {
    if ((mask >> lane & 1u) != 0 && slots[lane] != 0) ballot |= 1u << lane;
  }
  return ballot;
}

inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
  // The ballot checked that `mask` names every running lane of the warp.
  return __ballot_sync(mask, predicate) == (mask & cie::emulation::warp_lanes());
}

template <typename T>
T __ldg(T const* address) {
  return *address;
}

// Atomics: std::atomic_ref, so ThreadSanitizer sees them as atomic.
template <typename T>
T atomicAdd(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}
template <typename T>
T atomicSub(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).fetch_sub(value);
}
template <typename T>
T atomicExch(T* address, std::type_identity_t<T> value) {
  return std::atomic_ref<T>(*address).exchange(value);
}
template <typename T>
T atomicCAS(T* address, std::type_identity_t<T> compare, std::type_identity_t<T> value) {
  std::atomic_ref<T>(*address).compare_exchange_strong(compare, value);
  return compare;
}
template <typename T>
T atomicMax(T* address, std::type_identity_t<T> value) {
  std::atomic_ref<T> target(*address);
  T old = target.load();
  while (old < value && !target.compare_exchange_weak(old, value)) {
  }
  return old;
}
template <typename T>
T atomicMin(T* address, std::type_identity_t<T> value) {
  std::atomic_ref<T> target(*address);
  T old = target.load();
  while (value < old && !target.compare_exchange_weak(old, value)) {
  }
  return old;
}
