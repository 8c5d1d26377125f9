// Reading the contact history of `cie offers assign`: a CSV with a header and the columns
// customer_id, date, channel, offer (more columns are ignored), one row per contact sent.
//
// Dates take any form of core/date.hpp's parse_date. A customer not in the customer table is
// kept as -1 (its contacts count for nobody); a channel or offer the catalogue does not know is
// kept as -1 (the contact still counts in the windows and the minimum gap). Errors (input, exit
// 3, naming file and line, never a value): a missing column, a missing value, a date that does
// not parse.
#pragma once

#include <string>

#include "core/context.hpp"
#include "core/customer_table.hpp"
#include "core/id_dictionary.hpp"
#include "models/offers/catalog.hpp"
#include "models/offers/contact_policy.hpp"

namespace cie {

struct ContactHistoryRead {
  offers::ContactHistory history;
  std::size_t unknown_customers = 0;  ///< rows whose customer is not in the table
};

/// Reads `path` on ctx's threads (host/io/customer_table_reader.hpp): the same history for any
/// thread count.
ContactHistoryRead read_contact_history(Context const& ctx, std::string const& path,
                                        IdDictionary const& customers,
                                        offers::Catalog const& catalog);

}  // namespace cie
