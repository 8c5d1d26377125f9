// The CUDA runtime calls of the emulation (kernels/cuda/emulation/README.md), with CUDA's own
// declarations: one device with an H100's limits, whose memory is host memory; streams run
// their work when it is queued (so in order), events are markers, pinned memory is plain.
// cudaMemGetInfo reports CIE_EMULATED_DEVICE_BYTES (default 80 GiB) less what cudaMalloc holds,
// and cudaMalloc refuses what would exceed it.
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <unordered_map>

#include "kernels/cuda/emulation/runtime_state.hpp"

struct CUstream_st {
  unsigned flags = 0;
};
struct CUevent_st {
  unsigned flags = 0;
};

namespace cie::emulation {
namespace {

constexpr std::size_t kDefaultDeviceBytes = std::size_t{80} << 30;
constexpr std::size_t kAlignment = 256;  // cudaMalloc's

thread_local cudaError_t last_error = cudaSuccess;
// Why the last refused launch was refused, and its code; kept after cudaGetLastError clears the
// error (CIE_CUDA_TRY clears it before asking for the string), until another error replaces it.
thread_local cudaError_t last_launch_error = cudaSuccess;
thread_local std::string last_error_detail;

struct Registry {
  std::mutex mutex;
  std::unordered_map<void*, std::size_t> device_allocations;
  std::size_t device_bytes_in_use = 0;
  std::set<void*> streams;
  std::set<void*> events;
};

Registry& registry() {
  static Registry* instance = new Registry;  // outlives every static that frees memory
  return *instance;
}

/// The emulated device's memory size: CIE_EMULATED_DEVICE_BYTES, read at every query so that a
/// test can shrink the device for one call.
std::size_t device_bytes() {
  char const* text = std::getenv("CIE_EMULATED_DEVICE_BYTES");
  if (text == nullptr || *text == '\0') return kDefaultDeviceBytes;
  char* end = nullptr;
  unsigned long long const value = std::strtoull(text, &end, 10);
  return end != text && *end == '\0' ? static_cast<std::size_t>(value) : kDefaultDeviceBytes;
}

cudaError_t fail(cudaError_t code) {
  last_error = code;
  last_launch_error = cudaSuccess;
  last_error_detail.clear();
  return code;
}

bool valid_device(int device) { return device == 0; }

}  // namespace

void set_launch_error(cudaError_t code, std::string detail) {
  last_error = code;
  last_launch_error = code;
  last_error_detail = std::move(detail);
}

bool stream_is_valid(cudaStream_t stream) {
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread) return true;
  Registry& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  return r.streams.count(stream) != 0;
}

}  // namespace cie::emulation

using cie::emulation::fail;
using cie::emulation::registry;

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  return cie::emulation::valid_device(device) ? cudaSuccess : fail(cudaErrorInvalidDevice);
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (!cie::emulation::valid_device(device)) return fail(cudaErrorInvalidDevice);
  *properties = cudaDeviceProp{};
  std::strncpy(properties->name, "NVIDIA H100 80GB HBM3 (cie CUDA emulation)",
               sizeof properties->name - 1);
  properties->totalGlobalMem = cie::emulation::device_bytes();
  properties->sharedMemPerBlock = 48 * 1024;
  properties->sharedMemPerBlockOptin = 227 * 1024;
  properties->regsPerBlock = 65536;
  properties->warpSize = 32;
  properties->maxThreadsPerBlock = 1024;
  properties->maxThreadsDim[0] = 1024;
  properties->maxThreadsDim[1] = 1024;
  properties->maxThreadsDim[2] = 64;
  properties->maxGridSize[0] = 2147483647;
  properties->maxGridSize[1] = 65535;
  properties->maxGridSize[2] = 65535;
  properties->major = 9;
  properties->minor = 0;
  properties->multiProcessorCount = 132;
  properties->maxThreadsPerMultiProcessor = 2048;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  std::size_t const total = cie::emulation::device_bytes();
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  *total_bytes = total;
  *free_bytes = r.device_bytes_in_use < total ? total - r.device_bytes_in_use : 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

cudaError_t cudaGetLastError(void) {
  cudaError_t const error = cie::emulation::last_error;
  cie::emulation::last_error = cudaSuccess;
  return error;
}

cudaError_t cudaPeekAtLastError(void) { return cie::emulation::last_error; }

char const* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle:
      return "cudaErrorInvalidResourceHandle";
    case cudaErrorNoDevice:
      return "cudaErrorNoDevice";
    default:
      return "cudaErrorUnknown";
  }
}

char const* cudaGetErrorString(cudaError_t error) {
  // The reason the calling thread's last refused launch was refused.
  if (error == cie::emulation::last_launch_error && !cie::emulation::last_error_detail.empty()) {
    return cie::emulation::last_error_detail.c_str();
  }
  switch (error) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidDevice:
      return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle:
      return "invalid resource handle";
    case cudaErrorNoDevice:
      return "no CUDA-capable device is detected";
    default:
      return "unknown error";
  }
}

cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  if (bytes > cie::emulation::device_bytes() -
                  std::min(r.device_bytes_in_use, cie::emulation::device_bytes())) {
    *pointer = nullptr;
    return fail(cudaErrorMemoryAllocation);
  }
  std::size_t const rounded = (std::max<std::size_t>(bytes, 1) + cie::emulation::kAlignment - 1) /
                              cie::emulation::kAlignment * cie::emulation::kAlignment;
  void* memory = std::aligned_alloc(cie::emulation::kAlignment, rounded);
  if (memory == nullptr) return fail(cudaErrorMemoryAllocation);
  r.device_allocations.emplace(memory, bytes);
  r.device_bytes_in_use += bytes;
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (pointer == nullptr) return cudaSuccess;
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  auto const found = r.device_allocations.find(pointer);
  if (found == r.device_allocations.end()) return fail(cudaErrorInvalidValue);
  r.device_bytes_in_use -= found->second;
  r.device_allocations.erase(found);
  std::free(pointer);
  return cudaSuccess;
}

cudaError_t cudaHostAlloc(void** pointer, size_t bytes, unsigned int /*flags*/) {
  *pointer = std::malloc(std::max<std::size_t>(bytes, 1));
  return *pointer != nullptr ? cudaSuccess : fail(cudaErrorMemoryAllocation);
}

cudaError_t cudaMallocHost(void** pointer, size_t bytes) {
  return cudaHostAlloc(pointer, bytes, 0);
}

cudaError_t cudaFreeHost(void* pointer) {
  std::free(pointer);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* destination, void const* source, size_t bytes, cudaMemcpyKind) {
  if (bytes != 0) std::memmove(destination, source, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* destination, void const* source, size_t bytes,
                            cudaMemcpyKind kind, cudaStream_t stream) {
  if (!cie::emulation::stream_is_valid(stream)) return fail(cudaErrorInvalidResourceHandle);
  return cudaMemcpy(destination, source, bytes, kind);
}

cudaError_t cudaMemset(void* destination, int value, size_t bytes) {
  if (bytes != 0) std::memset(destination, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* destination, int value, size_t bytes, cudaStream_t stream) {
  if (!cie::emulation::stream_is_valid(stream)) return fail(cudaErrorInvalidResourceHandle);
  return cudaMemset(destination, value, bytes);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int flags) {
  auto* created = new CUstream_st{flags};
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  r.streams.insert(created);
  *stream = created;
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, 0); }

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  if (r.streams.erase(stream) == 0) return fail(cudaErrorInvalidResourceHandle);
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  return cie::emulation::stream_is_valid(stream) ? cudaSuccess
                                                 : fail(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaStreamQuery(cudaStream_t stream) { return cudaStreamSynchronize(stream); }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  auto* created = new CUevent_st{flags};
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  r.events.insert(created);
  *event = created;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* event) { return cudaEventCreateWithFlags(event, 0); }

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  if (r.events.erase(event) == 0) return fail(cudaErrorInvalidResourceHandle);
  delete event;
  return cudaSuccess;
}

namespace {
bool event_is_valid(cudaEvent_t event) {
  auto& r = registry();
  std::lock_guard<std::mutex> const lock(r.mutex);
  return r.events.count(event) != 0;
}
}  // namespace

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (!event_is_valid(event) || !cie::emulation::stream_is_valid(stream)) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  return event_is_valid(event) ? cudaSuccess : fail(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaEventQuery(cudaEvent_t event) { return cudaEventSynchronize(event); }

cudaError_t cudaEventElapsedTime(float* milliseconds, cudaEvent_t start, cudaEvent_t end) {
  if (!event_is_valid(start) || !event_is_valid(end)) return fail(cudaErrorInvalidResourceHandle);
  *milliseconds = 0.0f;
  return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int) {
  if (!event_is_valid(event) || !cie::emulation::stream_is_valid(stream)) {
    return fail(cudaErrorInvalidResourceHandle);
  }
  return cudaSuccess;
}

}  // extern "C"
