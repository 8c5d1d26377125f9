// Small, fast, portable random numbers for every seeded choice in cie: the synthetic data
// generator, validation splits, sampling in metrics, and k-means run seeds.
//
// Every draw is defined here rather than by <random>'s distributions, whose algorithms differ
// between standard libraries: the same seed gives the same data with any compiler and library
// that rounds libm's log, exp, pow and sqrt the same way. Streams are seeded per customer from
// (seed, customer index), so the data do not depend on the thread count or block size.
#pragma once

#include <cmath>
#include <cstdint>

namespace cie {

/// SplitMix64's finalizer: a bijective 64-bit mix; nearby inputs give unrelated outputs.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64, with the draws the generator
/// needs. Not cryptographic; period 2^256 - 1.
class Random {
 public:
  /// The stream of one entity (a customer) of a run: distinct (seed, index) pairs give
  /// independent-looking streams, including adjacent indices.
  Random(std::uint64_t seed, std::uint64_t index) noexcept {
    std::uint64_t state = mix64(mix64(seed) ^ mix64(index + 0x9E3779B97F4A7C15ULL));
    for (auto& word : state_) {
      state += 0x9E3779B97F4A7C15ULL;
      word = mix64(state);
    }
  }

  std::uint64_t next() noexcept {
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

  /// Uniform on [0, 1), 53 random bits.
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform on (0, 1): safe to take the logarithm of.
  double uniform_open() noexcept { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Uniform integer in [0, n) for 1 <= n <= 2^32 (bias below 2^-20, irrelevant here).
  std::int64_t below(std::int64_t n) noexcept {
    return static_cast<std::int64_t>((next() >> 32) * static_cast<std::uint64_t>(n) >> 32);
  }
  bool bernoulli(double probability) noexcept { return uniform() < probability; }
  /// Standard exponential (rate 1).
  double exponential() noexcept { return -std::log(uniform_open()); }

  /// Standard normal, by Marsaglia's polar method (the second value of each pair is kept).
  double normal() noexcept {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    double u = 0.0;
    double v = 0.0;
    double s = 0.0;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double const factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_normal_ = v * factor;
    has_spare_normal_ = true;
    return u * factor;
  }

  /// Gamma with the given shape (> 0) and scale 1, by Marsaglia and Tsang (2000); shapes below 1
  /// use the boost Gamma(a) = Gamma(a + 1) * U^(1/a). Multiply by a scale (or divide by a rate).
  double gamma(double shape) noexcept {
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
    double const d = shape - 1.0 / 3.0;
    double const c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
      double x = 0.0;
      double v = 0.0;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      double const u = uniform_open();
      double const x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
      if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }

  std::uint64_t state_[4] = {};
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace cie
