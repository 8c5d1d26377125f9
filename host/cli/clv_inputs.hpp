// Inputs shared by the `cie clv` subcommands (host/cli/clv_command.cpp, clv_evaluate_command.cpp):
// the customer summary from a transactions file (RFM's lifetimes columns) or from a summary file,
// and the printed form of a fit.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "host/cli/commands.hpp"
#include "models/clv/clv_fit.hpp"
#include "models/clv/clv_summary.hpp"
#include "models/rfm/rfm.hpp"

namespace cie::cli {

/// Where the customer summary comes from: a transactions file or a summary file.
struct SummaryOptions {
  std::string transactions_path;
  std::string summary_path;
  std::string time_unit = "weeks";
  std::string frequency_column = "frequency";
  std::string recency_column = "recency";
  std::string age_column = "T";
  std::string value_column = "monetary_value";
  std::string weights_column;
  TransactionsOptions input;

  /// Registers --transactions, --summary, the --*-col options and the transactions options.
  void add_to(CLI::App& command);
  [[nodiscard]] std::string const& input_path() const {
    return summary_path.empty() ? transactions_path : summary_path;
  }
  [[nodiscard]] char const* input_setting() const {
    return summary_path.empty() ? "--transactions" : "--summary";
  }
  /// A usage error unless exactly one of --transactions and --summary is given.
  void check_source() const;
};

/// 7 for "weeks", 1 for "days"; a usage error naming --time-unit otherwise.
int time_unit_days(std::string const& unit);

/// Customer ids and their summary.
struct Customers {
  std::vector<std::string> ids;
  ClvSummary summary;
  std::string description;  ///< for the printed report
};

/// Reads --transactions (warning about rejected rows).
Transactions read_clv_transactions(Context const& ctx, SummaryOptions const& options,
                                   ReadReport& report);
/// RFM (with the lifetimes columns in `unit_days`) as of `as_of_day`.
RfmTable summary_rfm(Context const& ctx, Transactions const& transactions, std::int32_t as_of_day,
                     int unit_days);
/// The summary as of `as_of` (unset: the day after the last transaction, as `cie rfm`).
Customers summary_from_transactions(Context const& ctx, SummaryOptions const& options,
                                    std::optional<std::int32_t> as_of, int unit_days);
/// Reads a summary file; `need_value` reads the value column, `discrete` checks BG/BB's rules.
/// A bad row is an input error naming file and line.
Customers summary_from_file(Context const& ctx, SummaryOptions const& options, bool need_value,
                            bool discrete = false);

/// "BG/NBD", "Pareto/NBD" or "BG/BB".
std::string model_title(std::string_view model_type);
/// Parameters with standard errors, log-likelihood, rows and iterations, for the report.
std::string describe_fit(FittedDistribution const& fit, std::string_view title);
/// An input error (exit 3) when the fit did not converge.
void require_converged(FittedDistribution const& fit, std::string_view title);

/// Registers `cie clv evaluate` under `clv`.
void add_clv_evaluate_command(CLI::App& clv, GlobalOptions const& global);

}  // namespace cie::cli
