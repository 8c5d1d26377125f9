// The pass of offer assignment under contact rules (models/offers/assignment.hpp drives it):
// a map over customers, each choosing greedily given the offers' prices
// (kernels/offers_rules.hpp), and a reduction of per-offer usage in fixed batch order.
//
// Twins: kernels/cpu/offers.cpp (OpenMP over batches of kOfferBatchRows customers, each summed in
// row order into its own partial, partials folded in batch order: the same bits for any thread
// count). The CUDA twin is not written yet; a CUDA context runs the CPU twin.
//
// Memory traffic of one pass, the floor its time is measured against: the expected values
// (4 bytes × offers per customer), allowances (1 + kOfferChannels bytes), the tie offset (1) and,
// when slots are written, kOfferSlots bytes per customer.
#pragma once

#include <cstdint>
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

/// Every customer chooses given `price` (one per offer). `fixed`: empty, or customers ×
/// kOfferSlots offers (kNoOffer where empty) that stay chosen and count against the limits.
/// `slots` (customers × kOfferSlots, or empty to keep nothing) receives each customer's newly
/// chosen offers, kNoOffer after the last.
OfferPassResult offer_assignment_pass(Context const& ctx, OfferInstance const& instance,
                                      std::span<double const> price,
                                      std::span<std::uint8_t const> fixed,
                                      std::span<std::uint8_t> slots);

/// Bytes one pass reads and writes (the memory-bandwidth floor's numerator).
std::int64_t offer_pass_bytes(OfferInstance const& instance, bool writes_slots);

}  // namespace cie::kernels
