// Per-draw arithmetic of the seeded bootstrap of a difference in means (models/campaigns/
// bootstrap.hpp), shared by the CPU and CUDA twins (kernels/hd.hpp).
//
// Draw b is a function of (seed, stream index b) alone: its random stream is core/random.hpp's
// Random(seed, index) (SplitMix64 seeding of xoshiro256**, and below(n)), restated here for the
// device; tests/kernels/test_bootstrap_kernels.cpp checks that both give the same numbers. The
// draw picks n1 treated values with replacement (stream.below(n1)), then n2 control values
// (stream.below(n2)), sums each group in pick order and returns sum1 / n1 − sum2 / n2. Only
// additions and one division per group: IEEE double on host and device, so both twins give the
// same bits.
#pragma once

#include <cstdint>

#include "kernels/hd.hpp"

namespace cie::kernels {

/// core/random.hpp's Random(seed, index), restricted to next() and below(n), for host and device.
class BootstrapStream {
 public:
  CIE_HD BootstrapStream(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t state = mix(mix(seed) ^ mix(index + 0x9E3779B97F4A7C15ULL));
    for (int k = 0; k < 4; ++k) {
      state += 0x9E3779B97F4A7C15ULL;
      state_[k] = mix(state);
    }
  }

  CIE_HD std::uint64_t next() {
    std::uint64_t const result = rotl(state_[1] * 5, 7) * 9;
    std::uint64_t const t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform integer in [0, n) for 1 <= n <= 2^32, as Random::below.
  CIE_HD std::int64_t below(std::int64_t n) {
    return static_cast<std::int64_t>((next() >> 32) * static_cast<std::uint64_t>(n) >> 32);
  }

 private:
  CIE_HD static std::uint64_t mix(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
  }
  CIE_HD static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t state_[4] = {};
};

/// The mean of n values picked with replacement from `values` by `stream`, summed in pick order.
CIE_HD inline double resampled_mean(BootstrapStream& stream, double const* values, std::int64_t n) {
  double sum = 0.0;
  for (std::int64_t i = 0; i < n; ++i) sum += values[stream.below(n)];
  return sum / static_cast<double>(n);
}

/// One bootstrap draw of mean(treated) − mean(control) from stream (seed, stream_index); both
/// groups non-empty.
CIE_HD inline double bootstrap_difference(std::uint64_t seed, std::uint64_t stream_index,
                                          double const* treated, std::int64_t treated_count,
                                          double const* control, std::int64_t control_count) {
  BootstrapStream stream(seed, stream_index);
  double const treated_mean = resampled_mean(stream, treated, treated_count);
  double const control_mean = resampled_mean(stream, control, control_count);
  return treated_mean - control_mean;
}

}  // namespace cie::kernels
