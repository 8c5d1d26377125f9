#include "kernels/device.hpp"

#include <utility>

#include "core/error.hpp"

namespace cie::kernels {

Context open_context(ContextOptions const& options, std::shared_ptr<Logger> logger) {
  if (!logger) logger = std::make_shared<Logger>();
  Context cpu(options, logger);
  if (options.device.kind == DeviceRequest::Kind::kCpu) return cpu;
  DeviceProbe const probe = probe_cuda_devices();
  bool const demanded = options.device.kind == DeviceRequest::Kind::kCuda;
  if (probe.count == 0) {
    if (demanded) fail(ExitCode::kDevice, "--device cuda: no usable GPU ({})", probe.reason);
    logger->info("no usable GPU ({}); running on the CPU with {} threads", probe.reason,
                 cpu.threads());
    return cpu;
  }
  int const ordinal = options.device.ordinal;
  if (ordinal >= probe.count) {
    fail(ExitCode::kDevice, "--device cuda:{}: only {} GPU(s) found", ordinal, probe.count);
  }
  DeviceInfo const info = cuda_device_info(ordinal);
  ContextDevice device;
  device.backend = Backend::kCuda;
  device.ordinal = ordinal;
  device.name = info.name;
  device.stream = create_cuda_stream(ordinal);
  device.release_stream = &destroy_cuda_stream;
  Context context(options, logger, std::move(device));
  logger->info("running on GPU cuda:{} ({}, {:.1f} GiB free)", ordinal, info.name,
               static_cast<double>(info.free_memory_bytes) / (1u << 30));
  return context;
}

}  // namespace cie::kernels
