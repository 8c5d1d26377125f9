// Hold-out and k-fold assignment for uplift evaluation, stratified by treatment and response:
// the four strata (control non-responders, control responders, treated non-responders, treated
// responders) are split or dealt separately, so every part keeps the data's treatment share and
// each group's response rate. Reproducible from the seed (core/random.hpp, no std::
// distributions).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cie::uplift {

/// is_validation[i] is 1 for held-out rows: within each treatment group, models/metrics/
/// data_split.hpp's stratified_split by response with seed + group (round(n × fraction) rows of
/// each stratum, at least 1 and at most n − 1 of a stratum of >= 2 rows). fraction 0: none.
std::vector<std::uint8_t> uplift_holdout(std::span<float const> response,
                                         std::span<std::uint8_t const> treatment, double fraction,
                                         std::uint64_t seed);

/// fold[i] in [0, k) for the rows with use[i] != 0 (−1 for the others; `use` empty = all rows):
/// each stratum's rows are shuffled by its own stream of `seed` and dealt to the folds in turn,
/// each stratum continuing where the previous one stopped, so in every stratum the fold sizes
/// differ by at most one, and so do the fold totals. k >= 2 and k <= used rows: usage error
/// naming --folds otherwise.
std::vector<std::int32_t> uplift_folds(std::span<float const> response,
                                       std::span<std::uint8_t const> treatment,
                                       std::span<std::uint8_t const> use, int k,
                                       std::uint64_t seed);

}  // namespace cie::uplift
