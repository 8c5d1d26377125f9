#include "host/io/contact_history_reader.hpp"

#include "core/date.hpp"
#include "core/error.hpp"
#include "core/pseudonymize.hpp"
#include "host/io/customer_table_reader.hpp"

namespace cie {

ContactHistoryRead read_contact_history(Context const& ctx, std::string const& path,
                                        IdDictionary const& customers,
                                        offers::Catalog const& catalog) {
  CustomerTableRequest request;
  request.id_column = "";
  request.columns = {"customer_id", "date", "channel", "offer"};
  request.categorical = request.columns;
  request.missing_tokens = {};
  request.needed_by = "the contact history";
  CustomerTable const table = read_customer_table(ctx, path, request);
  TableColumn const& id = *table.find("customer_id");
  TableColumn const& date = *table.find("date");
  TableColumn const& channel = *table.find("channel");
  TableColumn const& offer = *table.find("offer");
  for (TableColumn const* column : {&id, &date, &channel, &offer}) {
    for (std::size_t row = 0; row < table.rows(); ++row) {
      CIE_EXPECTS_DATA(column->missing[row] == 0, "{}: column {}: missing value",
                       table.describe_row(row), column->name);
    }
  }
  auto const map_levels = [](TableColumn const& column, auto&& map) {
    std::vector<std::int64_t> mapped;
    mapped.reserve(column.levels.size());
    for (std::string const& level : column.levels) mapped.push_back(map(level));
    return mapped;
  };
  // The customers' ids are keyed hashes under `cie --pseudonymize-ids`: the history's are too.
  std::vector<std::string> id_levels = id.levels;
  pseudonymize_ids(id_levels);
  // Millions of levels, each a lookup that misses the cache: on all threads, the slots of the
  // lookups kLookAhead levels on prefetched.
  constexpr std::size_t kLookAhead = 16;
  auto const level_count = static_cast<std::ptrdiff_t>(id_levels.size());
  std::vector<std::uint64_t> hashes(id_levels.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t level = 0; level < level_count; ++level) {
    hashes[static_cast<std::size_t>(level)] = hash_id(id_levels[static_cast<std::size_t>(level)]);
  }
  std::vector<std::int64_t> customer_of(id_levels.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t level = 0; level < level_count; ++level) {
    auto const index = static_cast<std::size_t>(level);
    if (index + kLookAhead < hashes.size()) customers.prefetch(hashes[index + kLookAhead]);
    customer_of[index] = customers.find(id_levels[index], hashes[index]);
  }
  std::vector<std::int64_t> const day_of_level = map_levels(date, [](std::string const& level) {
    std::optional<std::int32_t> day = parse_date(level);
    return day ? std::int64_t{*day} : std::int64_t{INT64_MIN};
  });
  std::vector<std::int64_t> const channel_of = map_levels(channel, [&](std::string const& level) {
    return std::int64_t{catalog.channel_index(level)};
  });
  std::vector<std::int64_t> const offer_of = map_levels(
      offer, [&](std::string const& level) { return std::int64_t{catalog.offer_index(level)}; });

  ContactHistoryRead read;
  offers::ContactHistory& history = read.history;
  std::size_t const rows = table.rows();
  history.customer.resize(rows);
  history.day.resize(rows);
  history.channel.resize(rows);
  history.offer.resize(rows);
  std::size_t unknown = 0;
  bool bad_date = false;
  auto const row_count = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) \
    reduction(+ : unknown) reduction(|| : bad_date)
  for (std::ptrdiff_t r = 0; r < row_count; ++r) {
    auto const row = static_cast<std::size_t>(r);
    std::int64_t const day = day_of_level[date.codes[row]];
    bad_date = bad_date || day == INT64_MIN;
    std::int64_t const customer = customer_of[id.codes[row]];
    unknown += customer < 0 ? 1 : 0;
    history.customer[row] = customer;
    history.day[row] = static_cast<std::int32_t>(day);
    history.channel[row] = static_cast<std::int32_t>(channel_of[channel.codes[row]]);
    history.offer[row] = static_cast<std::int32_t>(offer_of[offer.codes[row]]);
  }
  read.unknown_customers = unknown;
  for (std::size_t row = 0; bad_date && row < rows; ++row) {  // the first bad date in file order
    CIE_EXPECTS_DATA(day_of_level[date.codes[row]] != INT64_MIN,
                     "{}: column date: not a date (YYYY-MM-DD)", table.describe_row(row));
  }
  return read;
}

}  // namespace cie
