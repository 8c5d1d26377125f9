// Device memory bandwidth probe for bench/gpu_check.sh (built only with CUDA; never yet run on a
// GPU when written). Prints one JSON line:
//   {"device": name, "bytes": buffer size, "copy_gb_per_s": device-to-device cudaMemcpy,
//    counted as bytes read + bytes written per second, "read_gb_per_s": a kernel that only reads
//    the buffer (float4 loads, one sum per thread kept so the loads are not removed),
//    "h2d_pageable_gb_per_s" and "h2d_pinned_gb_per_s": cudaMemcpy host to device of the same
//    size from malloc'd and from cudaHostAlloc'd memory}
// GB = 1e9 bytes. Each figure is the best of --repeats timed runs after one untimed run.
// The read figure is the floor's denominator for k-means, whose Lloyd pass reads x once; the
// pageable host-to-device one for a streamed k-means pass, which copies x from the caller's
// (pageable) arrays.
//
//   device_bandwidth [--mib 2048] [--repeats 20] [--device N]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

#define PROBE_CHECK(call)                                              \
  do {                                                                 \
    cudaError_t const status_ = (call);                                \
    if (status_ != cudaSuccess) {                                      \
      std::fprintf(stderr, "device_bandwidth: %s failed: %s\n", #call, \
                   cudaGetErrorString(status_));                       \
      std::exit(4);                                                    \
    }                                                                  \
  } while (0)

__global__ void read_kernel(float4 const* data, std::size_t count, float* sink) {
  float sum = 0.0f;
  std::size_t const stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  // Four independent loads in flight per thread and step, then the remainder one at a time.
  for (; i + 3 * stride < count; i += 4 * stride) {
    float4 const v0 = data[i];
    float4 const v1 = data[i + stride];
    float4 const v2 = data[i + 2 * stride];
    float4 const v3 = data[i + 3 * stride];
    sum += (v0.x + v0.y + v0.z + v0.w) + (v1.x + v1.y + v1.z + v1.w) + (v2.x + v2.y + v2.z + v2.w) +
           (v3.x + v3.y + v3.z + v3.w);
  }
  for (; i < count; i += stride) {
    float4 const v = data[i];
    sum += v.x + v.y + v.z + v.w;
  }
  // Almost never true, but the compiler cannot know: keeps every load.
  if (sum == 123456.789f) sink[0] = sum;
}

/// Best seconds over `repeats` runs of `body` (after one untimed run), timed with events.
template <typename Body>
float best_seconds(int repeats, Body body) {
  cudaEvent_t start, stop;
  PROBE_CHECK(cudaEventCreate(&start));
  PROBE_CHECK(cudaEventCreate(&stop));
  body();
  PROBE_CHECK(cudaDeviceSynchronize());
  float best = 1e30f;
  for (int r = 0; r < repeats; ++r) {
    PROBE_CHECK(cudaEventRecord(start));
    body();
    PROBE_CHECK(cudaEventRecord(stop));
    PROBE_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    PROBE_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (ms < best) best = ms;
  }
  PROBE_CHECK(cudaEventDestroy(start));
  PROBE_CHECK(cudaEventDestroy(stop));
  return best / 1000.0f;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mib = 2048;
  int repeats = 20, device = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--mib") == 0)
      mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (std::strcmp(argv[i], "--repeats") == 0)
      repeats = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--device") == 0)
      device = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "device_bandwidth: unknown argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (argc % 2 == 0 || repeats < 1 || mib < 1) {
    std::fprintf(stderr, "usage: device_bandwidth [--mib 2048] [--repeats 20] [--device N]\n");
    return 2;
  }
  PROBE_CHECK(cudaSetDevice(device));
  cudaDeviceProp properties{};
  PROBE_CHECK(cudaGetDeviceProperties(&properties, device));
  std::size_t const bytes = mib << 20;
  void* a = nullptr;
  void* b = nullptr;
  float* sink = nullptr;
  PROBE_CHECK(cudaMalloc(&a, bytes));
  PROBE_CHECK(cudaMalloc(&b, bytes));
  PROBE_CHECK(cudaMalloc(&sink, sizeof(float)));
  PROBE_CHECK(cudaMemset(a, 0, bytes));

  float const copy_seconds = best_seconds(
      repeats, [&] { PROBE_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); });
  int const blocks = properties.multiProcessorCount * 8;
  std::size_t const count = bytes / sizeof(float4);
  float const read_seconds = best_seconds(repeats, [&] {
    read_kernel<<<blocks, 256>>>(static_cast<float4 const*>(a), count, sink);
    PROBE_CHECK(cudaGetLastError());
  });

  // Host to device; the pageable buffer is written first so that its pages exist.
  void* pageable = std::malloc(bytes);
  if (pageable == nullptr) {
    std::fprintf(stderr, "device_bandwidth: malloc of %zu bytes failed\n", bytes);
    return 4;
  }
  std::memset(pageable, 0, bytes);
  float const pageable_seconds = best_seconds(
      repeats, [&] { PROBE_CHECK(cudaMemcpyAsync(a, pageable, bytes, cudaMemcpyHostToDevice)); });
  std::free(pageable);
  void* pinned = nullptr;
  PROBE_CHECK(cudaHostAlloc(&pinned, bytes, cudaHostAllocDefault));
  std::memset(pinned, 0, bytes);
  float const pinned_seconds = best_seconds(
      repeats, [&] { PROBE_CHECK(cudaMemcpyAsync(a, pinned, bytes, cudaMemcpyHostToDevice)); });
  PROBE_CHECK(cudaFreeHost(pinned));

  double const gb = static_cast<double>(bytes) / 1e9;
  std::printf(
      "{\"device\": \"%s\", \"bytes\": %zu, \"copy_gb_per_s\": %.1f, "
      "\"read_gb_per_s\": %.1f, \"h2d_pageable_gb_per_s\": %.1f, "
      "\"h2d_pinned_gb_per_s\": %.1f}\n",
      properties.name, bytes, 2.0 * gb / copy_seconds, gb / read_seconds, gb / pageable_seconds,
      gb / pinned_seconds);
  PROBE_CHECK(cudaFree(a));
  PROBE_CHECK(cudaFree(b));
  PROBE_CHECK(cudaFree(sink));
  return 0;
}
