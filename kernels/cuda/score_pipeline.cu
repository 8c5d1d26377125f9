// CUDA twin of kernels/score_pipeline.hpp: two slots (pinned input, device input, device output,
// pinned output, stream, two events), batch k on slot k % 2. The header states the schedule.
//
// Resources are owned by RAII handles so that an exception (a CUDA error, or one thrown by the
// caller's encode or on_batch_done) frees them; a slot first waits for its stream to drain, so no
// copy is still reading or writing pinned memory when it is freed.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/linear_rules.hpp"
#include "kernels/score_pipeline.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::grid_for;

constexpr int kThreads = 256;
constexpr std::size_t kSlots = 2;

struct DeviceFree {
  void operator()(void* p) const noexcept { CIE_CUDA_TRY_NO_THROW(cudaFree(p)); }
};
struct PinnedFree {
  void operator()(void* p) const noexcept { CIE_CUDA_TRY_NO_THROW(cudaFreeHost(p)); }
};
struct StreamDestroy {
  void operator()(cudaStream_t s) const noexcept { CIE_CUDA_TRY_NO_THROW(cudaStreamDestroy(s)); }
};
struct EventDestroy {
  void operator()(cudaEvent_t e) const noexcept { CIE_CUDA_TRY_NO_THROW(cudaEventDestroy(e)); }
};

template <typename T>
using DeviceArray = std::unique_ptr<T[], DeviceFree>;
template <typename T>
using PinnedArray = std::unique_ptr<T[], PinnedFree>;
using Stream = std::unique_ptr<std::remove_pointer_t<cudaStream_t>, StreamDestroy>;
using Event = std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, EventDestroy>;

template <typename T>
DeviceArray<T> device_array(std::size_t count) {
  void* p = nullptr;
  CIE_CUDA_TRY(cudaMalloc(&p, count * sizeof(T)));
  return DeviceArray<T>(static_cast<T*>(p));
}

template <typename T>
PinnedArray<T> pinned_array(std::size_t count) {
  void* p = nullptr;
  CIE_CUDA_TRY(cudaHostAlloc(&p, count * sizeof(T), cudaHostAllocDefault));
  return PinnedArray<T>(static_cast<T*>(p));
}

Event make_event() {
  cudaEvent_t event = nullptr;
  CIE_CUDA_TRY(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  return Event(event);
}

/// probability[i] = σ(Σ_j coef[j] x[j * rows + i] + intercept), the margin summed in double in
/// feature order, as linear.cu's scoring kernel.
__global__ void batch_probability_kernel(float const* x, std::int64_t rows, int cols,
                                         double const* coef, double intercept,
                                         double* probability) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < rows;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    double z = 0.0;
    for (int j = 0; j < cols; ++j) z += coef[j] * static_cast<double>(x[j * rows + i]);
    probability[i] = stable_sigmoid(z + intercept);
  }
}

/// One of the two buffer sets, and the batch it holds while in flight.
struct Slot {
  Stream stream;
  Event input_free;    ///< recorded after the H2D copy: the pinned input may be refilled
  Event output_ready;  ///< recorded after the D2H copy: the pinned output holds the batch
  PinnedArray<float> host_x;
  DeviceArray<float> device_x;
  DeviceArray<double> device_probability;
  PinnedArray<double> host_probability;
  std::size_t begin = 0;
  std::size_t end = 0;
  bool in_flight = false;

  Slot(std::size_t batch_rows, std::size_t cols) {
    cudaStream_t s = nullptr;
    CIE_CUDA_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    stream.reset(s);
    input_free = make_event();
    output_ready = make_event();
    host_x = pinned_array<float>(batch_rows * cols);
    device_x = device_array<float>(batch_rows * cols);
    device_probability = device_array<double>(batch_rows);
    host_probability = pinned_array<double>(batch_rows);
  }
  Slot(Slot const&) = delete;
  Slot& operator=(Slot const&) = delete;
  ~Slot() {
    if (stream) CIE_CUDA_TRY_NO_THROW(cudaStreamSynchronize(stream.get()));
  }
};

}  // namespace

void score_logistic_batches(Context const& ctx, std::size_t rows, std::size_t batch_rows,
                            std::size_t cols, EncodeBatch const& encode,
                            std::span<double const> coef, double intercept, std::span<double> out,
                            BatchDone const& on_batch_done) {
  CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
  DeviceArray<double> const device_coef = device_array<double>(cols);
  CIE_CUDA_TRY(
      cudaMemcpy(device_coef.get(), coef.data(), cols * sizeof(double), cudaMemcpyHostToDevice));
  std::array<std::unique_ptr<Slot>, kSlots> slots;
  for (auto& slot : slots) slot = std::make_unique<Slot>(batch_rows, cols);

  // Copies a finished batch into `out`; called in batch order.
  auto const harvest = [&](Slot& slot) {
    if (!slot.in_flight) return;
    CIE_CUDA_TRY(cudaEventSynchronize(slot.output_ready.get()));
    std::copy_n(slot.host_probability.get(), slot.end - slot.begin, out.begin() + slot.begin);
    slot.in_flight = false;
    if (on_batch_done) on_batch_done(slot.begin, slot.end);
  };

  std::size_t k = 0;
  for (std::size_t begin = 0; begin < rows; begin += batch_rows, ++k) {
    Slot& slot = *slots[k % kSlots];
    std::size_t const end = std::min(rows, begin + batch_rows);
    std::size_t const n = end - begin;
    if (slot.in_flight) CIE_CUDA_TRY(cudaEventSynchronize(slot.input_free.get()));
    encode(begin, end, slot.host_x.get());  // the device meanwhile runs batch k − 1
    harvest(slot);                          // batch k − 2, whose pinned output is reused now
    cudaStream_t const stream = slot.stream.get();
    CIE_CUDA_TRY(cudaMemcpyAsync(slot.device_x.get(), slot.host_x.get(), n * cols * sizeof(float),
                                 cudaMemcpyHostToDevice, stream));
    CIE_CUDA_TRY(cudaEventRecord(slot.input_free.get(), stream));
    CIE_LAUNCH(batch_probability_kernel, grid_for(static_cast<long long>(n), kThreads), kThreads, 0,
               stream)
    (slot.device_x.get(), static_cast<std::int64_t>(n), static_cast<int>(cols), device_coef.get(),
     intercept, slot.device_probability.get());
    CIE_CUDA_CHECK_LAUNCH();
    CIE_CUDA_TRY(cudaMemcpyAsync(slot.host_probability.get(), slot.device_probability.get(),
                                 n * sizeof(double), cudaMemcpyDeviceToHost, stream));
    CIE_CUDA_TRY(cudaEventRecord(slot.output_ready.get(), stream));
    slot.begin = begin;
    slot.end = end;
    slot.in_flight = true;
  }
  harvest(*slots[k % kSlots]);        // batch k − 2 (when there were two or more)
  harvest(*slots[(k + 1) % kSlots]);  // batch k − 1
}

}  // namespace cie::kernels::cuda_impl
