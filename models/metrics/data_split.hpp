// Train/validation splits and k-fold assignment, stratified by the binary label and reproducible
// from a seed: the same labels and seed give the same split on every machine (core/random.hpp
// generator, no std:: distributions, whose output differs between standard libraries).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cie {

/// is_validation[i] is 1 for rows in the validation part. Within each class, round(n_class ×
/// validation_fraction) rows (at least 1 and at most n_class − 1 when the class has >= 2 rows) are
/// chosen uniformly by a seeded shuffle. validation_fraction in (0, 1) and at least one row:
/// usage error otherwise. A label other than 0 or 1 is an input error naming the row.
std::vector<std::uint8_t> stratified_split(std::span<float const> label, double validation_fraction,
                                           std::uint64_t seed);

/// fold[i] in [0, k): within each class, rows are shuffled by the seed and dealt to folds in turn,
/// so fold sizes per class differ by at most one; the second class continues where the first
/// stopped, so total fold sizes differ by at most one too. k >= 2 and k <= rows: usage error
/// otherwise. A label other than 0 or 1 is an input error naming the row.
std::vector<std::int32_t> stratified_folds(std::span<float const> label, int k, std::uint64_t seed);

}  // namespace cie
