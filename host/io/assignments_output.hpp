// The assignments file of `cie offers assign` and the nightly [offers] stage: one row per contact,
//   customer_id,offer,channel,expected_value,rank
// (rank 1 = the customer's highest expected value), written atomically.
#pragma once

#include <string>
#include <vector>

#include "core/context.hpp"
#include "models/offers/assignment.hpp"

namespace cie {

/// Writes `result`'s contacts to `path`; `ids` are the customer table's ids (contact.customer
/// indexes them).
void write_assignments(Context const& ctx, std::string const& path, offers::Catalog const& catalog,
                       std::vector<std::string> const& ids, offers::AssignmentResult const& result);

}  // namespace cie
