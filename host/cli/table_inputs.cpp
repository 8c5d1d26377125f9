#include "host/cli/table_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/row_filter.hpp"

namespace cie::cli {

void TableInputs::add_to(CLI::App& command) {
  command
      .add_option("--table", paths,
                  "customer table (CSV with a header); repeat to join several on the customer id "
                  "(inner join; rows missing from a table are counted and reported)")
      ->required();
  command.add_option("--id-col", id_column, "customer id column")->capture_default_str();
  command.add_flag("--no-id", no_id,
                   "the (single) table has no id column: rows are numbered from 1");
  command
      .add_option("--delimiter", delimiter,
                  "field separator: comma, semicolon, tab, whitespace or one character")
      ->capture_default_str();
  command.add_option("--where", where,
                     "keep only the rows satisfying EXPR, e.g. 'segment != \"No E-Mail\" and "
                     "recency <= 6': columns, numbers, \"strings\", == != < <= > >=, and, or, "
                     "not, parentheses");
}

CustomerTable TableInputs::read(Context const& ctx, std::vector<std::string> const& categorical,
                                std::vector<std::string> const& numeric,
                                std::vector<JoinSide>& sides) const {
  CIE_EXPECTS(!paths.empty(), "--table: at least one table is needed");
  CIE_EXPECTS(!no_id || paths.size() == 1,
              "--no-id: tables without ids cannot be joined; give one --table (got {})",
              paths.size());
  std::optional<RowFilter> filter;  // parsed before any table is read
  if (!where.empty()) filter.emplace(where, "--where");
  CustomerTableRequest request;
  request.id_column = no_id ? "" : id_column;
  request.categorical = categorical;
  request.numeric = numeric;
  request.delimiter = parse_delimiter(delimiter, "--delimiter");
  std::vector<CustomerTable> tables;
  for (std::string const& path : paths) tables.push_back(read_customer_table(ctx, path, request));
  CustomerTable base = std::move(tables.front());
  tables.erase(tables.begin());
  bool const joined = !tables.empty();
  CustomerTable table = join_tables(std::move(base), std::move(tables), sides);
  CIE_EXPECTS_DATA(!joined || table.rows() > 0,
                   "the --table files share no customer id in column {} ({}); nothing to join",
                   id_column, describe_join(sides));
  if (!filter) return table;
  CustomerTable kept = filter->apply(table);
  sides.push_back({"--where " + where, table.rows(), kept.rows(), table.rows() - kept.rows()});
  CIE_EXPECTS_DATA(kept.rows() > 0, "--where '{}' keeps none of the {} rows of {}", where,
                   table.rows(), table.source);
  return kept;
}

std::string describe_join(std::vector<JoinSide> const& sides) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < sides.size(); ++i) {
    JoinSide const& side = sides[i];
    if (side.source.starts_with("--where ")) {
      parts.push_back(fmt::format("{} kept {} of {} rows", side.source, side.matched, side.rows));
      continue;
    }
    parts.push_back(side.unmatched == 0
                        ? fmt::format("{}: {} rows", side.source, side.rows)
                        : fmt::format("{}: {} rows, {} without a partner (left out)", side.source,
                                      side.rows, side.unmatched));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace cie::cli
