// The CUDA emulation itself (kernels/cuda/emulation/README.md), in the -DCIE_CUDA=EMULATED build
// only: barriers (threads that return leave them; barriers that can never open and wrong warp
// masks stop the run), warp collectives, atomics and the shared block reduction on small kernels,
// the H100 launch limits, the fake device memory, and the k-means chunk planner on a device made
// small enough that the CUDA twin streams.
#include <gtest/gtest.h>

#if CIE_CUDA_EMULATED

#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/kmeans.hpp"
#include "kernels/kmeans_chunked.hpp"
#include "tests/kernels/kmeans_test_data.hpp"
#include "tests/test_support.hpp"

namespace cie::kernels {
namespace CIE_TEST_FILE_ID {

constexpr int kThreads = 256;

/// out[block] = Σ in[block * kThreads + t] by a shared-memory tree with __syncthreads.
__global__ void tree_sum_kernel(std::int64_t const* in, std::int64_t* out) {
  __shared__ std::int64_t partial[kThreads];
  partial[threadIdx.x] = in[blockIdx.x * kThreads + threadIdx.x];
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

TEST(CudaEmulation, SyncthreadsOrdersSharedMemoryAcrossBlocks) {
  constexpr int kBlocks = 5;
  std::vector<std::int64_t> in(kBlocks * kThreads), out(kBlocks, -1);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::int64_t>(i * i % 1009);
  CIE_LAUNCH(tree_sum_kernel, kBlocks, kThreads, 0, nullptr)(in.data(), out.data());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (int b = 0; b < kBlocks; ++b) {
    std::int64_t expected = 0;
    for (int t = 0; t < kThreads; ++t) expected += in[b * kThreads + t];
    EXPECT_EQ(out[b], expected) << "block " << b;
  }
}

/// Per thread: down, up, xor and indexed shuffles of its lane number, and the warp's ballot,
/// any and all of "lane is odd" and "lane < 40"; block of 64 threads, two warps.
__global__ void warp_collectives_kernel(int* out) {
  int const lane = static_cast<int>(threadIdx.x % 32);
  int* mine = out + threadIdx.x * 7;
  mine[0] = __shfl_down_sync(0xffffffffu, lane, 3);
  mine[1] = __shfl_up_sync(0xffffffffu, lane, 5);
  mine[2] = __shfl_xor_sync(0xffffffffu, lane, 1);
  mine[3] = __shfl_sync(0xffffffffu, lane * 10, 7);
  mine[4] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 2 == 1));
  mine[5] = __any_sync(0xffffffffu, lane == 31);
  mine[6] = __all_sync(0xffffffffu, static_cast<int>(threadIdx.x) < 40);
}

TEST(CudaEmulation, WarpShufflesBallotsAndVotes) {
  std::vector<int> out(64 * 7, -1);
  CIE_LAUNCH(warp_collectives_kernel, 1, 64, 0, nullptr)(out.data());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (int t = 0; t < 64; ++t) {
    int const lane = t % 32;
    int const* got = out.data() + t * 7;
    EXPECT_EQ(got[0], lane + 3 < 32 ? lane + 3 : lane) << "thread " << t;
    EXPECT_EQ(got[1], lane >= 5 ? lane - 5 : lane) << "thread " << t;
    EXPECT_EQ(got[2], lane ^ 1) << "thread " << t;
    EXPECT_EQ(got[3], 70) << "thread " << t;
    EXPECT_EQ(static_cast<unsigned>(got[4]), 0xaaaaaaaau) << "thread " << t;
    EXPECT_EQ(got[5], 1) << "thread " << t;
    EXPECT_EQ(got[6], t < 32 ? 1 : 0) << "thread " << t;
  }
}

struct Counters {
  int count;
  unsigned long long wide;
  double total;
  int maximum;
  int minimum;
  int claimed;
};

__global__ void atomics_kernel(Counters* c) {
  int const id = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  atomicAdd(&c->count, 1);
  atomicAdd(&c->wide, 1ull << 33);
  atomicAdd(&c->total, 0.5);
  atomicMax(&c->maximum, id);
  atomicMin(&c->minimum, id);
  atomicCAS(&c->claimed, -1, id);
}

TEST(CudaEmulation, AtomicsFromEveryThread) {
  Counters c{0, 0, 0.0, -1, 1 << 30, -1};
  CIE_LAUNCH(atomics_kernel, 3, 128, 0, nullptr)(&c);
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(c.count, 384);
  EXPECT_EQ(c.wide, 384ull << 33);
  EXPECT_EQ(c.total, 192.0);
  EXPECT_EQ(c.maximum, 383);
  EXPECT_EQ(c.minimum, 0);
  EXPECT_GE(c.claimed, 0);
  EXPECT_LT(c.claimed, 384);
}

/// out[block] = block_sum over the block of in[...], three times in a row (reusing the storage).
__global__ void block_sum_kernel(double const* in, double* out) {
  __shared__ cuda_detail::BlockSumStorage<kThreads> storage;
  for (int round = 0; round < 3; ++round) {
    double const total = cuda_detail::block_sum<kThreads>(
        in[blockIdx.x * kThreads + threadIdx.x] * (round + 1), storage);
    if (threadIdx.x == 0) out[blockIdx.x * 3 + round] = total;
    __syncthreads();
  }
}

TEST(CudaEmulation, BlockSumFoldsWarpsInOrder) {
  std::vector<double> in(2 * kThreads), out(6, -1.0);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = 1.0 / static_cast<double>(i + 1);
  CIE_LAUNCH(block_sum_kernel, 2, kThreads, 0, nullptr)(in.data(), out.data());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (int b = 0; b < 2; ++b) {
    for (int round = 0; round < 3; ++round) {
      // The documented order: a shuffle tree per warp (offsets 16, 8, 4, 2, 1), then warps.
      double total = 0.0;
      for (int w = 0; w < kThreads / 32; ++w) {
        double lanes[32];
        for (int l = 0; l < 32; ++l) lanes[l] = in[b * kThreads + w * 32 + l] * (round + 1);
        for (int offset = 16; offset > 0; offset /= 2) {
          for (int l = 0; l + offset < 32; ++l) lanes[l] += lanes[l + offset];
        }
        total += lanes[0];
      }
      EXPECT_EQ(out[b * 3 + round], total) << "block " << b << " round " << round;
    }
  }
}

/// Dynamic shared memory starts as 0xFF bytes in every block (NaN as doubles).
__global__ void dynamic_shared_kernel(double* out) {
  CIE_DYNAMIC_SHARED(double, scratch);
  bool const fresh = scratch[threadIdx.x] != scratch[threadIdx.x];  // NaN
  __syncthreads();
  scratch[threadIdx.x] = threadIdx.x;
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = fresh ? scratch[blockDim.x - 1 - threadIdx.x] : -1.0;
}

TEST(CudaEmulation, DynamicSharedMemoryIsFreshPerBlock) {
  std::vector<double> out(2 * 32, 0.0);
  CIE_LAUNCH(dynamic_shared_kernel, 2, 32, 32 * sizeof(double), nullptr)(out.data());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[i], 31 - i % 32) << "thread " << i;
}

/// Threads 100 and up return at once; the rest sum their ids through shared memory across two
/// __syncthreads, and each warp's running lanes (all 32 of warps 0-2, lanes 0-3 of warp 3) sum
/// their lane numbers with shuffles named by __activemask().
__global__ void early_return_kernel(int* out) {
  __shared__ int ids[128];
  unsigned const t = threadIdx.x;
  if (t >= 100) return;
  ids[t] = static_cast<int>(t);
  __syncthreads();
  if (t == 0) {
    int total = 0;
    for (int i = 0; i < 100; ++i) total += ids[i];
    ids[0] = total;
  }
  __syncthreads();
  unsigned const mask = __activemask();
  int lane_sum = static_cast<int>(t % 32);
  for (int offset = 16; offset > 0; offset /= 2) {
    int const other = __shfl_down_sync(mask, lane_sum, static_cast<unsigned>(offset));
    if (t % 32 + static_cast<unsigned>(offset) < 32 && (mask >> (t % 32 + offset) & 1u) != 0) {
      lane_sum += other;
    }
  }
  out[t] = t % 32 == 0 ? lane_sum * 10000 + ids[0] : static_cast<int>(mask);
}

TEST(CudaEmulation, ThreadsThatReturnLeaveTheBarriers) {
  std::vector<int> out(128, -1);
  CIE_LAUNCH(early_return_kernel, 2, 128, 0, nullptr)(out.data());
  ASSERT_EQ(cudaGetLastError(), cudaSuccess);
  int const ids = 99 * 100 / 2;
  for (unsigned warp = 0; warp < 3; ++warp) {
    EXPECT_EQ(out[warp * 32], (31 * 32 / 2) * 10000 + ids) << "warp " << warp;
    EXPECT_EQ(static_cast<unsigned>(out[warp * 32 + 5]), 0xffffffffu) << "warp " << warp;
  }
  EXPECT_EQ(out[96], (0 + 1 + 2 + 3) * 10000 + ids);
  EXPECT_EQ(out[97], 0xf);
  EXPECT_EQ(out[100], -1);
}

/// Lane 0 of the block waits at a warp collective that lanes 1-31 never reach: they wait at
/// __syncthreads instead.
__global__ void divergent_barriers_kernel(int* out) {
  if (threadIdx.x == 0) {
    out[0] = __shfl_sync(0xffffffffu, 1, 0);
  } else {
    __syncthreads();
  }
}

/// Lanes 16-31 return; lanes 0-15 shuffle with a mask that still names them.
__global__ void stale_mask_kernel(int* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x), 0);
}

TEST(CudaEmulation, BarriersThatCanNeverOpenOrWrongMasksStopTheRun) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<int> out(32, -1);
  EXPECT_DEATH(CIE_LAUNCH(divergent_barriers_kernel, 1, 32, 0, nullptr)(out.data()),
               "divergent_barriers_kernel, block \\(0,0,0\\): 31 threads wait at __syncthreads "
               "while 1 wait at a warp collective");
  EXPECT_DEATH(CIE_LAUNCH(stale_mask_kernel, 1, 32, 0, nullptr)(out.data()),
               "stale_mask_kernel, block \\(0,0,0\\), warp 0: lane 0's warp collective has mask "
               "0xffffffff, but the warp's running lanes are 0x0000ffff");
}

__global__ void count_kernel(int* count) { atomicAdd(count, 1); }

/// Launches count_kernel with the shape and expects `code` with `fragment` in its message.
void expect_refused(dim3 grid, dim3 block, std::size_t shared_bytes, cudaStream_t stream,
                    cudaError_t code, std::string const& fragment) {
  int count = 0;
  CIE_LAUNCH(count_kernel, grid, block, shared_bytes, stream)(&count);
  EXPECT_EQ(count, 0) << fragment;
  cudaError_t const error = cudaPeekAtLastError();
  EXPECT_EQ(error, code) << fragment;
  EXPECT_NE(std::string(cudaGetErrorString(error)).find(fragment), std::string::npos)
      << cudaGetErrorString(error);
  EXPECT_NE(std::string(cudaGetErrorString(error)).find("count_kernel"), std::string::npos);
  (void)cudaGetLastError();
  EXPECT_EQ(cudaPeekAtLastError(), cudaSuccess);
  // CIE_CUDA_TRY clears the error before it asks for its string: the reason stays.
  EXPECT_NE(std::string(cudaGetErrorString(error)).find(fragment), std::string::npos);
}

TEST(CudaEmulation, LaunchesBeyondAnH100sLimitsAreRefused) {
  expect_refused(1, 2048, 0, nullptr, cudaErrorInvalidConfiguration,
                 "2048 threads per block exceed the H100's limit of 1024");
  expect_refused(1, dim3(32, 32, 2), 0, nullptr, cudaErrorInvalidConfiguration,
                 "2048 threads per block");
  expect_refused(1, dim3(1, 1, 65), 0, nullptr, cudaErrorInvalidConfiguration,
                 "block dimensions exceed");
  expect_refused(dim3(1, 65536), 32, 0, nullptr, cudaErrorInvalidConfiguration,
                 "grid dimensions exceed");
  expect_refused(0, 32, 0, nullptr, cudaErrorInvalidConfiguration, "a zero dimension");
  expect_refused(1, 32, 48 * 1024 + 8, nullptr, cudaErrorInvalidValue,
                 "49160 bytes of dynamic shared memory");
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  ASSERT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  expect_refused(1, 32, 0, stream, cudaErrorInvalidResourceHandle, "stream");
  // At the limits it runs: 1024 threads, 48 KiB.
  int count = 0;
  CIE_LAUNCH(count_kernel, dim3(2, 1, 1), dim3(16, 16, 4), 48 * 1024, nullptr)(&count);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_EQ(count, 2048);
}

/// Sets CIE_EMULATED_DEVICE_BYTES for the scope.
class EmulatedDeviceBytes {
 public:
  explicit EmulatedDeviceBytes(std::size_t bytes) {
    setenv("CIE_EMULATED_DEVICE_BYTES", std::to_string(bytes).c_str(), 1);
  }
  ~EmulatedDeviceBytes() { unsetenv("CIE_EMULATED_DEVICE_BYTES"); }
  EmulatedDeviceBytes(EmulatedDeviceBytes const&) = delete;
  EmulatedDeviceBytes& operator=(EmulatedDeviceBytes const&) = delete;
};

TEST(CudaEmulation, DeviceMemoryIsTheConfiguredSize) {
  EmulatedDeviceBytes const device(std::size_t{64} << 20);
  std::size_t free_bytes = 0, total_bytes = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  EXPECT_EQ(total_bytes, std::size_t{64} << 20);
  void* p = nullptr;
  ASSERT_EQ(cudaMalloc(&p, std::size_t{40} << 20), cudaSuccess);
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  EXPECT_EQ(free_bytes, std::size_t{24} << 20);
  void* q = nullptr;
  EXPECT_EQ(cudaMalloc(&q, std::size_t{30} << 20), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaGetLastError(), cudaErrorMemoryAllocation);
  EXPECT_EQ(cudaFree(p), cudaSuccess);
  cudaDeviceProp properties{};
  ASSERT_EQ(cudaGetDeviceProperties(&properties, 0), cudaSuccess);
  EXPECT_EQ(properties.maxThreadsPerBlock, 1024);
  EXPECT_EQ(properties.major, 9);
}

TEST(CudaEmulation, KMeansOnASmallDeviceIsChunkedAndMatchesTheCpu) {
  // 4 batches and a part, 2 features (84 bytes per row for the planner): a device whose usable
  // 80% leaves 66,000 rows beside a pass's fixed needs makes make_kmeans_workspace plan chunks
  // of one batch, so the CUDA twin runs the chunked workspace.
  RandomMatrix const m = make_random_matrix(4 * kKMeansBatchRows + 1001, 2, 3, 41);
  std::size_t const usable = kKMeansPassFixedBytes + 66'000 * 84;
  EmulatedDeviceBytes const device((usable * 5 + 3) / 4);
  KMeansChunking const plan = plan_kmeans_chunks(m.rows, m.cols, usable);
  ASSERT_EQ(plan.chunk_rows, kKMeansBatchRows);
  std::string skip_reason;
  auto cuda = cie::testing::make_backend_context(Backend::kCuda, skip_reason);
  ASSERT_TRUE(cuda) << skip_reason;
  Context const cpu = Context::cpu(2);
  auto on_device = make_kmeans_workspace(*cuda, m.x.data(), m.rows, m.cols, m.weight);
  auto on_cpu = make_kmeans_workspace(cpu, m.x.data(), m.rows, m.cols, m.weight);
  std::vector<std::int32_t> labels_device(static_cast<std::size_t>(m.rows)),
      labels_cpu(labels_device.size());
  KMeansPassStats const a = on_device->lloyd_pass(m.centroids, m.k, labels_device);
  KMeansPassStats const b = on_cpu->lloyd_pass(m.centroids, m.k, labels_cpu);
  EXPECT_EQ(labels_device, labels_cpu);
  EXPECT_EQ(a.weights, b.weights);
  for (std::size_t i = 0; i < a.sums.size(); ++i) {
    EXPECT_NEAR(a.sums[i], b.sums[i], 1e-9 * (1.0 + std::abs(b.sums[i]))) << "entry " << i;
  }
  EXPECT_NEAR(a.inertia, b.inertia, 1e-9 * b.inertia);
  std::vector<float> shifted = m.centroids;
  for (float& v : shifted) v += 0.5f;
  EXPECT_EQ(on_device->hartigan_candidates(shifted, m.k, a.weights, labels_cpu),
            on_cpu->hartigan_candidates(shifted, m.k, a.weights, labels_cpu));
  // Seeding: both twins sum each batch's potentials in row order, so the bits agree.
  on_device->reset_closest();
  on_cpu->reset_closest();
  on_device->update_closest(std::span<float const>(m.centroids.data(), 2), 1, false);
  on_cpu->update_closest(std::span<float const>(m.centroids.data(), 2), 1, false);
  EXPECT_EQ(on_device->batch_potentials(), on_cpu->batch_potentials());
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie::kernels

#endif  // CIE_CUDA_EMULATED
