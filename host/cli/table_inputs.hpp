// Command-line options naming the customer tables a model reads (`cie propensity`): one or more
// CSV files joined on the customer id, and how to read them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "core/customer_table.hpp"

namespace cie::cli {

struct TableInputs {
  std::vector<std::string> paths;  ///< --table, in order; the first is the join's base
  std::string id_column = "customer_id";
  bool no_id = false;
  std::string delimiter = "comma";

  /// Registers --table (required, repeatable), --id-col, --no-id and --delimiter.
  void add_to(CLI::App& command);

  /// Reads every table (all columns; `categorical` and `numeric` force the type of the columns
  /// they name wherever they occur) and joins them on the id. `sides` receives the join counts.
  /// A usage error for --no-id with several tables.
  [[nodiscard]] CustomerTable read(std::vector<std::string> const& categorical,
                                   std::vector<std::string> const& numeric,
                                   std::vector<JoinSide>& sides) const;
};

/// "N rows from A; B: N rows, M matched, K unmatched (left out); ..." for stdout and reports.
std::string describe_join(std::vector<JoinSide> const& sides);

}  // namespace cie::cli
