// Context: where and how a computation runs. Passed first, by const reference, to every kernel
// and model call (as XGBoost's Context); the one place that decides CPU or CUDA.
//
// core/ knows no CUDA: a Context is built here from options and an already resolved device.
// kernels/device.hpp's open_context() resolves a DeviceRequest (probing the GPUs) and is what
// commands call; Context::cpu() needs no probing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/logger.hpp"

namespace cie {

enum class Backend { kCpu, kCuda };

/// What the user asked for with --device.
struct DeviceRequest {
  enum class Kind { kAuto, kCpu, kCuda } kind = Kind::kAuto;
  int ordinal = 0;  ///< for kCuda: the N of cuda:N

  /// Parses "auto", "cpu", "cuda" or "cuda:N"; a usage error (exit 2) otherwise.
  static DeviceRequest parse(std::string_view text);
};

struct ContextOptions {
  DeviceRequest device;                 ///< default auto: the GPU when usable, else the CPU
  int threads = 0;                      ///< CPU threads; 0 = all hardware threads
  std::size_t memory_budget_bytes = 0;  ///< host memory budget; 0 = 75% of physical memory
  std::uint64_t seed = 42;              ///< seed for every random choice of a run
};

/// The device a Context runs on, as kernels::open_context() resolved it.
struct ContextDevice {
  Backend backend = Backend::kCpu;
  int ordinal = -1;        ///< the N of cuda:N; -1 on the CPU
  std::string name;        ///< the GPU's name; empty on the CPU
  void* stream = nullptr;  ///< a cudaStream_t owned by the Context; nullptr on the CPU
  void (*release_stream)(void*) noexcept = nullptr;  ///< destroys `stream`
};

class Context {
 public:
  /// Checks the options (threads >= 0; 0 = all cores; memory budget 0 = 75% of physical memory)
  /// and runs on `device` (the CPU by default), taking ownership of its stream. A null logger
  /// is replaced by a default one.
  Context(ContextOptions const& options, std::shared_ptr<Logger> logger, ContextDevice device = {});
  /// A CPU context with default options and a quiet logger (tests, library use).
  static Context cpu(int threads = 0, std::uint64_t seed = 42);

  Context(Context const&) = delete;
  Context& operator=(Context const&) = delete;
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;
  ~Context();

  [[nodiscard]] Backend backend() const noexcept { return backend_; }
  [[nodiscard]] bool is_cuda() const noexcept { return backend_ == Backend::kCuda; }
  [[nodiscard]] int device_ordinal() const noexcept { return ordinal_; }
  /// "cpu" or "cuda:N (name)".
  [[nodiscard]] std::string device_name() const;
  [[nodiscard]] int threads() const noexcept { return threads_; }
  /// The cudaStream_t of this context (nullptr on the CPU).
  [[nodiscard]] void* stream() const noexcept { return stream_; }
  [[nodiscard]] std::size_t memory_budget_bytes() const noexcept { return memory_budget_bytes_; }
  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }
  [[nodiscard]] Logger& logger() const noexcept { return *logger_; }

 private:
  Context() = default;

  void release() noexcept;

  Backend backend_ = Backend::kCpu;
  int ordinal_ = -1;
  std::string gpu_name_;
  int threads_ = 1;
  void* stream_ = nullptr;
  void (*release_stream_)(void*) noexcept = nullptr;
  std::size_t memory_budget_bytes_ = 0;
  std::uint64_t seed_ = 42;
  std::shared_ptr<Logger> logger_;
};

}  // namespace cie
