// The pass of offer assignment under contact rules (models/offers/assignment.hpp drives it):
// a map over customers, each choosing greedily given the offers' prices
// (kernels/offers_rules.hpp), and a reduction of per-offer usage in fixed batch order.
//
// The instance stays where the passes run for the whole solve, so an OfferPassWorkspace owns it
// (views of the caller's arrays on the CPU, device copies on CUDA) and every pass is a method.
// Twins, both over batches of kOfferBatchRows customers in row order:
// - kernels/cpu/offers.cpp: OpenMP over batches, each summed in row order into its own partial,
//   partials folded in batch order.
// - kernels/cuda/offers.cu: one block per batch, one thread per customer (the shared
//   choose_offers); per-offer usage counted exactly in shared memory, each batch's value and
//   reduced value summed in row order by the block's thread 0 (tiles of rows staged in shared
//   memory), the batch partials folded in batch order on the host.
// Usage is a count (exact in double), and the two sums are taken in the same order on both
// twins, so a pass gives the same bits on CPU and CUDA and for any thread count: the same prices
// give the same choices and the same stopping decisions, hence the same assignment.
//
// Memory traffic of one pass, the floor its time is measured against: the expected values
// (4 bytes × offers per customer), allowances (1 + kOfferChannels bytes), the tie offset (1) and,
// when slots are written, kOfferSlots bytes per customer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/context.hpp"
#include "kernels/offers_rules.hpp"

namespace cie::kernels {

/// Customers per batch of the usage reduction; fixed, so the sums never depend on the threads.
inline constexpr std::int64_t kOfferBatchRows = 1 << 13;

/// One assignment instance, host memory, row-major per customer.
struct OfferInstance {
  std::int64_t customers = 0;
  int offers = 0;
  float const* expected_value = nullptr;            ///< customers × offers; NaN: not a candidate
  std::uint8_t const* allowance = nullptr;          ///< contacts left this run, per customer
  std::uint8_t const* channel_allowance = nullptr;  ///< customers × kOfferChannels
  std::uint8_t const* tie_offset = nullptr;         ///< per customer, < offers
  std::int8_t const* offer_channel = nullptr;       ///< per offer
  std::uint64_t const* conflicts = nullptr;         ///< per offer; nullptr when no pair rule
};

struct OfferPassResult {
  std::vector<double> usage;     ///< newly chosen contacts per offer
  double value = 0.0;            ///< Σ ev of the newly chosen contacts
  double relaxed_reduced = 0.0;  ///< Σ over customers of the best reduced value without pair
                                 ///< rules (the dual function's customer part); 0 with `fixed`
};

/// One instance where its passes run. Costs of a pass: reads the instance once (see above),
/// O(customers × offers × allowance) comparisons.
class OfferPassWorkspace {
 public:
  virtual ~OfferPassWorkspace() = default;

  /// Every customer chooses given `price` (one per offer). `fixed`: empty, or customers ×
  /// kOfferSlots offers (kNoOffer where empty) that stay chosen and count against the limits.
  /// `slots` (customers × kOfferSlots, or empty to keep nothing) receives each customer's newly
  /// chosen offers, kNoOffer after the last.
  virtual OfferPassResult pass(std::span<double const> price, std::span<std::uint8_t const> fixed,
                               std::span<std::uint8_t> slots) = 0;
};

namespace cpu_impl {
std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const& ctx,
                                                         OfferInstance const& instance);
}  // namespace cpu_impl

namespace cuda_impl {
std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const& ctx,
                                                         OfferInstance const& instance);
}  // namespace cuda_impl

/// A workspace for `instance` (1 <= offers <= 64, host memory) on ctx's device. The CPU one
/// keeps views: the instance's arrays must outlive it. The CUDA one copies them once.
inline std::unique_ptr<OfferPassWorkspace> make_offer_workspace(Context const& ctx,
                                                                OfferInstance const& instance) {
  return ctx.is_cuda() ? cuda_impl::make_offer_workspace(ctx, instance)
                       : cpu_impl::make_offer_workspace(ctx, instance);
}

/// One pass on a workspace made for this call (tests and one-off passes).
inline OfferPassResult offer_assignment_pass(Context const& ctx, OfferInstance const& instance,
                                             std::span<double const> price,
                                             std::span<std::uint8_t const> fixed,
                                             std::span<std::uint8_t> slots) {
  return make_offer_workspace(ctx, instance)->pass(price, fixed, slots);
}

/// Bytes one pass reads and writes (the memory-bandwidth floor's numerator).
std::int64_t offer_pass_bytes(OfferInstance const& instance, bool writes_slots);

}  // namespace cie::kernels
