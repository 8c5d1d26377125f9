#include "kernels/offers.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "kernels/cpu/ordered_batches.hpp"

namespace cie::kernels {
namespace cpu_impl {
namespace {

OfferPassResult offer_pass(Context const& ctx, OfferInstance const& instance,
                           std::span<double const> price, std::span<std::uint8_t const> fixed,
                           std::span<std::uint8_t> slots) {
  int const offers = instance.offers;
  std::int64_t const customers = instance.customers;
  CIE_ASSERT(offers > 0 && offers <= 64 && price.size() == static_cast<std::size_t>(offers));
  CIE_ASSERT(fixed.empty() || fixed.size() == static_cast<std::size_t>(customers) * kOfferSlots);
  CIE_ASSERT(slots.empty() || slots.size() == static_cast<std::size_t>(customers) * kOfferSlots);
  std::size_t const stride = static_cast<std::size_t>(offers) + 2;
  std::int64_t const batches = (customers + kOfferBatchRows - 1) / kOfferBatchRows;
  OfferPassResult result;
  result.usage.assign(static_cast<std::size_t>(offers), 0.0);
  cpu_impl::reduce_batches_in_order(
      ctx.threads(), batches, stride, [] { return 0; },
      [&](std::int64_t batch, double* partial, int) {
        std::fill(partial, partial + stride, 0.0);
        std::int64_t const first = batch * kOfferBatchRows;
        std::int64_t const last = std::min(customers, first + kOfferBatchRows);
        std::uint8_t scratch[kOfferSlots];
        for (std::int64_t row = first; row < last; ++row) {
          float const* ev = instance.expected_value + row * offers;
          std::uint8_t const* channel_allowance = instance.channel_allowance + row * kOfferChannels;
          std::uint64_t fixed_mask = 0;
          if (!fixed.empty()) {
            for (int s = 0; s < kOfferSlots; ++s) {
              std::uint8_t const o = fixed[static_cast<std::size_t>(row) * kOfferSlots + s];
              if (o != kNoOffer) fixed_mask |= std::uint64_t{1} << o;
            }
          }
          std::uint8_t* out = slots.empty() ? scratch : slots.data() + row * kOfferSlots;
          OfferChoice const choice =
              choose_offers(ev, offers, price.data(), instance.allowance[row], channel_allowance,
                            instance.offer_channel, instance.conflicts, instance.tie_offset[row],
                            fixed_mask, out);
          for (int s = choice.added; s < kOfferSlots; ++s) out[s] = kNoOffer;
          for (int s = 0; s < choice.added; ++s) partial[out[s]] += 1.0;
          partial[offers] += choice.value;
          if (!fixed.empty()) continue;
          if (!choice.pair_blocked) {  // no pair rule bit: the relaxed choice is the same
            partial[offers + 1] += choice.reduced;
          } else {
            std::uint8_t relaxed_slots[kOfferSlots];
            partial[offers + 1] += choose_offers(ev, offers, price.data(), instance.allowance[row],
                                                 channel_allowance, instance.offer_channel, nullptr,
                                                 instance.tie_offset[row], 0, relaxed_slots)
                                       .reduced;
          }
        }
      },
      [&](double const* partial) {
        for (int o = 0; o < offers; ++o) result.usage[o] += partial[o];
        result.value += partial[offers];
        result.relaxed_reduced += partial[offers + 1];
      });
  return result;
}

class CpuOfferWorkspace final : public OfferPassWorkspace {
 public:
  CpuOfferWorkspace(Context const& ctx, OfferInstance const& instance)
      : ctx_(ctx), instance_(instance) {
    CIE_ASSERT(instance.offers > 0 && instance.offers <= 64);
  }

  OfferPassResult pass(std::span<double const> price, std::span<std::uint8_t const> fixed,
                       std::span<std::uint8_t> slots) override {
    return offer_pass(ctx_, instance_, price, fixed, slots);
  }

 private:
  Context const& ctx_;
  OfferInstance instance_;
};

}  // namespace

std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const& ctx,
                                                         OfferInstance const& instance) {
  return std::make_unique<CpuOfferWorkspace>(ctx, instance);
}

}  // namespace cpu_impl

std::int64_t offer_pass_bytes(OfferInstance const& instance, bool writes_slots) {
  std::int64_t const per_customer =
      4 * std::int64_t{instance.offers} + 1 + kOfferChannels + 1 + (writes_slots ? kOfferSlots : 0);
  return per_customer * instance.customers;
}

}  // namespace cie::kernels
