#include "host/io/assignments_output.hpp"

#include <fmt/format.h>

#include <iterator>

#include "host/io/csv_table.hpp"

namespace cie {

void write_assignments(Context const& ctx, std::string const& path, offers::Catalog const& catalog,
                       std::vector<std::string> const& ids,
                       offers::AssignmentResult const& result) {
  std::vector<CsvColumns> schema;
  schema.push_back({{"customer_id", "offer", "channel", "expected_value", "rank"},
                    [&](fmt::memory_buffer& out, std::size_t row) {
                      offers::Contact const& contact = result.contacts[row];
                      offers::Offer const& offer = catalog.offers[contact.offer];
                      append_csv_field(out, ids[contact.customer]);
                      out.push_back(',');
                      append_csv_field(out, offer.name);
                      out.push_back(',');
                      append_csv_field(out, catalog.channels[offer.channel].name);
                      fmt::format_to(std::back_inserter(out), ",{},{}", contact.expected_value,
                                     contact.rank);
                    }});
  write_csv_table(ctx, path, schema, result.contacts.size());
}

}  // namespace cie
