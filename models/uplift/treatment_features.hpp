// Default features of `cie uplift train` that would reveal the treatment. A column recorded by
// the campaign itself, such as the channel or offer a contact carried (empty for the control),
// tells the groups apart; as a feature it makes the class-variable transformation and the
// X-learner's propensity model learn the assignment instead of the effect. Such a column is
// left out of the default features with a warning; one named in --features is kept, with the
// same warning.
//
// A column reveals the treatment when one side of the split (the control rows, or the treated
// rows of every arm together) has at least 20 rows and holds a single value in all of them, a
// missing value counting as one, and the other side never holds that value. A pre-campaign trait of
// randomly assigned groups does not do this; a continuous column whose values all differ does not
// either (neither side is single).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "models/features/tabular_encoder.hpp"

namespace cie::uplift {

/// The names of `table`'s columns (in order) that reveal the treatment; `group` holds each
/// row's group (0 control, > 0 a treated arm). None when either side has no row.
std::vector<std::string> treatment_revealing_columns(CustomerTable const& table,
                                                     std::span<std::int32_t const> group);

/// Warns (ctx's logger, naming the column) about each spec whose column reveals the treatment,
/// and removes it from `specs` unless `named` (the user listed the features).
void drop_treatment_revealing_features(Context const& ctx, CustomerTable const& table,
                                       std::span<std::int32_t const> group,
                                       std::vector<EncodedColumnSpec>& specs, bool named);

}  // namespace cie::uplift
