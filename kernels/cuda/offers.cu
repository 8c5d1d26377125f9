// CUDA twin of kernels/offers.hpp: the pass of offer assignment.
//
// One block per batch of kOfferBatchRows customers (the CPU twin's batches), one thread per
// customer running the shared choose_offers (kernels/offers_rules.hpp). Per-offer usage is
// counted in shared memory with integer atomics (exact, so order-free). Each customer's value
// and reduced value go to shared memory, a tile of kTileRows rows at a time, and thread 0 adds
// them in row order to the batch's sums, continuing across tiles: the CPU twin's order. The
// batch partials (usage, value, reduced) are copied to the host and folded in batch order as the
// CPU twin folds its partials. So a pass gives the same bits on both twins.
//
// The workspace copies the instance to the device once; a pass copies the prices (and `fixed`
// when given) in and the batch partials (and `slots` when wanted) out.
//
// Memory access: the expected values are row-major (a customer's offers contiguous), so a warp's
// loads of offer o touch 32 customers' rows: the lines are all used within the pass, through
// L1/L2, but not coalesced per instruction.
#include <thrust/device_vector.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/cuda/thrust_support.cuh"
#include "kernels/offers.hpp"
#include "kernels/offers_rules.hpp"

namespace cie::kernels::cuda_impl {
namespace {

using cuda_detail::copy_to_device;
using cuda_detail::copy_to_host;
using cuda_detail::raw;
using cuda_detail::run_on_device;

constexpr int kThreads = 256;
constexpr int kTileRows = 1024;  // 16 KiB of shared sums per tile
constexpr int kMaxOffers = 64;

struct DeviceInstance {
  std::int64_t customers;
  int offers;
  float const* expected_value;
  std::uint8_t const* allowance;
  std::uint8_t const* channel_allowance;
  std::uint8_t const* tie_offset;
  std::int8_t const* offer_channel;
  std::uint64_t const* conflicts;  // nullptr: no pair rule
};

/// partials[batch * (offers + 2) + e]: e < offers the contacts newly chosen for offer e, then
/// the Σ of their expected values and (without `fixed`) the Σ of the customers' best reduced
/// values without pair rules, in row order. `fixed` and `slots` may be null.
__global__ void offer_pass_kernel(DeviceInstance in, double const* price, std::uint8_t const* fixed,
                                  std::uint8_t* slots, double* partials) {
  __shared__ unsigned int usage[kMaxOffers];
  __shared__ double tile_value[kTileRows];
  __shared__ double tile_reduced[kTileRows];
  int const offers = in.offers;
  for (int o = static_cast<int>(threadIdx.x); o < offers; o += blockDim.x) usage[o] = 0;
  __syncthreads();
  std::int64_t const first = static_cast<std::int64_t>(blockIdx.x) * kOfferBatchRows;
  std::int64_t const last =
      first + kOfferBatchRows < in.customers ? first + kOfferBatchRows : in.customers;
  double batch_value = 0.0;    // thread 0's
  double batch_reduced = 0.0;  // thread 0's
  for (std::int64_t tile = first; tile < last; tile += kTileRows) {
    std::int64_t const tile_end = tile + kTileRows < last ? tile + kTileRows : last;
    for (std::int64_t row = tile + threadIdx.x; row < tile_end; row += blockDim.x) {
      float const* ev = in.expected_value + row * offers;
      std::uint8_t const* channel_allowance = in.channel_allowance + row * kOfferChannels;
      std::uint64_t fixed_mask = 0;
      if (fixed != nullptr) {
        for (int s = 0; s < kOfferSlots; ++s) {
          std::uint8_t const o = fixed[row * kOfferSlots + s];
          if (o != kNoOffer) fixed_mask |= std::uint64_t{1} << o;
        }
      }
      std::uint8_t chosen[kOfferSlots];
      OfferChoice const choice =
          choose_offers(ev, offers, price, in.allowance[row], channel_allowance, in.offer_channel,
                        in.conflicts, in.tie_offset[row], fixed_mask, chosen);
      for (int s = 0; s < choice.added; ++s) atomicAdd(&usage[chosen[s]], 1U);
      if (slots != nullptr) {
        for (int s = 0; s < kOfferSlots; ++s) {
          slots[row * kOfferSlots + s] = s < choice.added ? chosen[s] : kNoOffer;
        }
      }
      double reduced = 0.0;
      if (fixed == nullptr) {
        if (!choice.pair_blocked) {  // no pair rule bit: the relaxed choice is the same
          reduced = choice.reduced;
        } else {
          std::uint8_t relaxed[kOfferSlots];
          reduced = choose_offers(ev, offers, price, in.allowance[row], channel_allowance,
                                  in.offer_channel, nullptr, in.tie_offset[row], 0, relaxed)
                        .reduced;
        }
      }
      tile_value[row - tile] = choice.value;
      tile_reduced[row - tile] = reduced;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      for (std::int64_t r = 0; r < tile_end - tile; ++r) {
        batch_value += tile_value[r];
        batch_reduced += tile_reduced[r];
      }
    }
    __syncthreads();
  }
  double* partial = partials + static_cast<std::int64_t>(blockIdx.x) * (offers + 2);
  for (int o = static_cast<int>(threadIdx.x); o < offers; o += blockDim.x) {
    partial[o] = static_cast<double>(usage[o]);
  }
  if (threadIdx.x == 0) {
    partial[offers] = batch_value;
    partial[offers + 1] = batch_reduced;
  }
}

template <typename T>
void upload(cudaStream_t stream, T const* host, std::size_t count,
            thrust::device_vector<T>& device) {
  device.resize(count);
  if (count > 0) copy_to_device(stream, host, count, raw(device));
}

class CudaOfferWorkspace final : public OfferPassWorkspace {
 public:
  CudaOfferWorkspace(Context const& ctx, OfferInstance const& instance)
      : stream_(cuda_detail::stream_of(ctx)),
        customers_(instance.customers),
        offers_(instance.offers),
        has_conflicts_(instance.conflicts != nullptr) {
    CIE_CUDA_ASSERT(offers_ > 0 && offers_ <= kMaxOffers && customers_ >= 0);
    CIE_CUDA_TRY(cudaSetDevice(ctx.device_ordinal()));
    auto const n = static_cast<std::size_t>(customers_);
    upload(stream_, instance.expected_value, n * offers_, expected_value_);
    upload(stream_, instance.allowance, n, allowance_);
    upload(stream_, instance.channel_allowance, n * kOfferChannels, channel_allowance_);
    upload(stream_, instance.tie_offset, n, tie_offset_);
    upload(stream_, instance.offer_channel, static_cast<std::size_t>(offers_), offer_channel_);
    if (has_conflicts_) {
      upload(stream_, instance.conflicts, static_cast<std::size_t>(offers_), conflicts_);
    }
    price_.resize(static_cast<std::size_t>(offers_));
    batches_ = (customers_ + kOfferBatchRows - 1) / kOfferBatchRows;
    partials_.resize(static_cast<std::size_t>(batches_) * (offers_ + 2));
  }

  OfferPassResult pass(std::span<double const> price, std::span<std::uint8_t const> fixed,
                       std::span<std::uint8_t> slots) override {
    return run_on_device("offer assignment pass", [&] {
      auto const cells = static_cast<std::size_t>(customers_) * kOfferSlots;
      CIE_CUDA_ASSERT(price.size() == static_cast<std::size_t>(offers_));
      CIE_CUDA_ASSERT(fixed.empty() || fixed.size() == cells);
      CIE_CUDA_ASSERT(slots.empty() || slots.size() == cells);
      OfferPassResult result;
      result.usage.assign(static_cast<std::size_t>(offers_), 0.0);
      if (batches_ == 0) return result;
      copy_to_device(stream_, price.data(), price.size(), raw(price_));
      if (!fixed.empty()) upload(stream_, fixed.data(), cells, fixed_);
      if (!slots.empty()) slots_.resize(cells);
      DeviceInstance const in{customers_,
                              offers_,
                              raw(expected_value_),
                              raw(allowance_),
                              raw(channel_allowance_),
                              raw(tie_offset_),
                              raw(offer_channel_),
                              has_conflicts_ ? raw(conflicts_) : nullptr};
      CIE_LAUNCH(offer_pass_kernel, static_cast<unsigned>(batches_), kThreads, 0, stream_)
      (in, raw(price_), fixed.empty() ? nullptr : raw(fixed_),
       slots.empty() ? nullptr : raw(slots_), raw(partials_));
      CIE_CUDA_CHECK_LAUNCH();
      std::vector<double> partials(partials_.size());
      copy_to_host(stream_, raw(partials_), partials.size(), partials.data());
      if (!slots.empty()) copy_to_host(stream_, raw(slots_), cells, slots.data());
      int const stride = offers_ + 2;
      for (std::int64_t batch = 0; batch < batches_; ++batch) {
        double const* partial = partials.data() + batch * stride;
        for (int o = 0; o < offers_; ++o) result.usage[o] += partial[o];
        result.value += partial[offers_];
        result.relaxed_reduced += partial[offers_ + 1];
      }
      return result;
    });
  }

 private:
  cudaStream_t stream_;
  std::int64_t customers_;
  int offers_;
  bool has_conflicts_;
  std::int64_t batches_ = 0;
  thrust::device_vector<float> expected_value_;
  thrust::device_vector<std::uint8_t> allowance_;
  thrust::device_vector<std::uint8_t> channel_allowance_;
  thrust::device_vector<std::uint8_t> tie_offset_;
  thrust::device_vector<std::int8_t> offer_channel_;
  thrust::device_vector<std::uint64_t> conflicts_;
  thrust::device_vector<double> price_;
  thrust::device_vector<std::uint8_t> fixed_;
  thrust::device_vector<std::uint8_t> slots_;
  thrust::device_vector<double> partials_;
};

}  // namespace

std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const& ctx,
                                                         OfferInstance const& instance) {
  return run_on_device("offer assignment workspace", [&] {
    return std::unique_ptr<OfferPassWorkspace>(std::make_unique<CudaOfferWorkspace>(ctx, instance));
  });
}

}  // namespace cie::kernels::cuda_impl
