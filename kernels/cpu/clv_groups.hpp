// The CPU predictions' groups of customer rows (kernels/cpu/clv.cpp): rows of equal (x, T),
// which share the BG/NBD family's hypergeometric brackets, and the groups' distinct T, which share
// z = t/(α+T+t) and ln((α+T)/(α+T+t)). Both by open-addressing tables on the values' bits (−0.0
// and 0.0 are two keys; both are valid), in order of first appearance.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/clv.hpp"

namespace cie::kernels::cpu_impl {

/// Rows grouped by equal (x, T): group[i] for every row, and each group's first row.
struct FrequencyAgeGroups {
  std::vector<std::int32_t> group;
  std::vector<std::int64_t> first_row;
};

FrequencyAgeGroups group_by_frequency_and_age(ClvRows const& rows);

/// The distinct T of the groups and each group's index among them.
struct GroupAges {
  std::vector<double> values;
  std::vector<std::int32_t> index;
};

GroupAges distinct_group_ages(ClvRows const& rows, FrequencyAgeGroups const& groups);

}  // namespace cie::kernels::cpu_impl
