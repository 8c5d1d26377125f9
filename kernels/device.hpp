// CUDA device discovery and streams, behind a CUDA-free header.
//
// Implemented in kernels/cuda/device.cu when cie is built with CUDA, and by stubs in
// kernels/cuda/without_cuda.cpp otherwise. A machine with no GPU or no driver is an ordinary
// outcome here (count 0 with the reason), never an exception.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/context.hpp"

namespace cie::kernels {

/// Whether this binary was built with the CUDA backend.
bool built_with_cuda() noexcept;

/// The result of asking the CUDA runtime for devices.
struct DeviceProbe {
  int count = 0;       ///< usable CUDA devices; 0 when none
  std::string reason;  ///< why none are usable (e.g. "no CUDA driver"), empty when count > 0
};

/// Asks the CUDA runtime how many devices are usable. Never throws.
DeviceProbe probe_cuda_devices() noexcept;

/// What cie needs to know about one device.
struct DeviceInfo {
  std::string name;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  std::size_t total_memory_bytes = 0;
  std::size_t free_memory_bytes = 0;
};

/// Describes device `ordinal` (throws a device error if it cannot be queried).
DeviceInfo cuda_device_info(int ordinal);

/// Creates a stream (blocking with respect to the legacy default stream) on device `ordinal`; the
/// handle is a cudaStream_t.
void* create_cuda_stream(int ordinal);

/// Destroys a stream made by create_cuda_stream; never throws (used from destructors).
void destroy_cuda_stream(void* stream) noexcept;

/// The Context for `options`: resolves the device request. auto falls back to the CPU with one
/// info line when no GPU is usable; an explicit cuda request with no usable GPU, or cuda:N past
/// the last GPU, is a device error (exit code 4). A null logger is replaced by a default one.
Context open_context(ContextOptions const& options, std::shared_ptr<Logger> logger);

}  // namespace cie::kernels
