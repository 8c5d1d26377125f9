// The CUDA twin of every kernel family in a build without CUDA (-DCIE_CUDA=OFF or no nvcc):
// device discovery reports no GPU, and any CUDA kernel fails with a clear message.
#include "host/error.hpp"
#include "kernels/device.hpp"

namespace cie::kernels {
namespace {
[[noreturn]] void no_cuda() {
  fail(ExitCode::kDevice, "this cie was built without CUDA support; rebuild with -DCIE_CUDA=ON");
}
}  // namespace

bool built_with_cuda() noexcept { return false; }
DeviceProbe probe_cuda_devices() noexcept { return {0, "built without CUDA support"}; }
DeviceInfo cuda_device_info(int) { no_cuda(); }
void* create_cuda_stream(int) { no_cuda(); }
void destroy_cuda_stream(void*) noexcept {}

}  // namespace cie::kernels
