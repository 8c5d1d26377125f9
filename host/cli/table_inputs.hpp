// Command-line options naming the customer tables a model reads (`cie propensity`): one or more
// CSV files joined on the customer id, and how to read them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "core/context.hpp"
#include "core/customer_table.hpp"

namespace cie::cli {

struct TableInputs {
  std::vector<std::string> paths;  ///< --table, in order; the first is the join's base
  std::string id_column = "customer_id";
  bool no_id = false;
  std::string delimiter = "comma";
  std::string where;  ///< --where EXPR (host/io/row_filter.hpp); empty for every row

  /// Registers --table (required, repeatable), --id-col, --no-id, --delimiter and --where.
  void add_to(CLI::App& command);

  /// Reads every table on ctx's threads (all columns; `categorical` and `numeric` force the type of
  /// the columns they name wherever they occur) and joins them on the id. `sides` receives the join
  /// counts. A usage error for --no-id with several tables. With --where, only the joined rows that
  /// satisfy it are kept (its errors are usage errors naming the column in the expression; no row
  /// kept is an input error), and `sides` gets one more entry, source "--where EXPR", rows before,
  /// matched = rows kept, unmatched = rows left out.
  [[nodiscard]] CustomerTable read(Context const& ctx, std::vector<std::string> const& categorical,
                                   std::vector<std::string> const& numeric,
                                   std::vector<JoinSide>& sides) const;
};

/// "N rows from A; B: N rows, M matched, K unmatched (left out); ..." for stdout and reports.
std::string describe_join(std::vector<JoinSide> const& sides);

}  // namespace cie::cli
