#include "host/cli/clv_inputs.hpp"

#include <fmt/format.h>

#include "core/date.hpp"
#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"

namespace cie::cli {

void SummaryOptions::add_to(CLI::App& command) {
  command.add_option("--transactions", transactions_path, "transactions file");
  command.add_option("--summary", summary_path,
                     "per-customer summary file instead of transactions (lifetimes' columns)");
  command.add_option("--frequency-col", frequency_column, "summary: repeat purchases")
      ->capture_default_str();
  command.add_option("--recency-col", recency_column, "summary: time of the last purchase")
      ->capture_default_str();
  command.add_option("--T-col", age_column, "summary: age at the end of the window")
      ->capture_default_str();
  command.add_option("--value-col", value_column, "summary: mean repeat value")
      ->capture_default_str();
  command.add_option("--weights-col", weights_column, "summary: customers per row");
  input.add_to(command);
}

void SummaryOptions::check_source() const {
  CIE_EXPECTS(transactions_path.empty() != summary_path.empty(),
              "give one of --transactions and --summary");
}

int time_unit_days(std::string const& unit) {
  if (unit == "weeks") return 7;
  if (unit == "days") return 1;
  fail(ExitCode::kUsage, "--time-unit: expected weeks or days, got '{}'", unit);
}

Transactions read_clv_transactions(Context const& ctx, SummaryOptions const& options,
                                   ReadReport& report) {
  Transactions transactions =
      read_transactions(ctx, options.transactions_path, options.input.to_format(), report);
  if (report.rows_rejected > 0) {
    ctx.logger().warn("{} bad rows were not used; the first: {}", report.rows_rejected,
                      report.first_rejection);
  }
  return transactions;
}

RfmTable summary_rfm(Context const& ctx, Transactions const& transactions, std::int32_t as_of_day,
                     int unit_days) {
  RfmParams params;
  params.as_of_day = as_of_day;
  params.time_unit_days = unit_days;
  return compute_rfm(ctx, params, transactions, SegmentTable::standard(5));
}

Customers summary_from_transactions(Context const& ctx, SummaryOptions const& options,
                                    std::optional<std::int32_t> as_of, int unit_days) {
  ReadReport report;
  Transactions const transactions = read_clv_transactions(ctx, options, report);
  std::int32_t const as_of_day = as_of ? *as_of : default_as_of_day(transactions);
  RfmTable const table = summary_rfm(ctx, transactions, as_of_day, unit_days);
  Customers customers;
  customers.summary = summary_from_rfm(table);
  customers.ids.reserve(table.size());
  for (std::int32_t c : table.customer) customers.ids.push_back(transactions.customer_ids[c]);
  customers.description = fmt::format(
      "{} customers with a purchase before {} ({} transactions read, {} rejected, {} on or after "
      "that day not used)",
      table.size(), format_date(as_of_day), report.rows_accepted, report.rows_rejected,
      table.transactions_after_as_of);
  return customers;
}

Customers summary_from_file(Context const& ctx, SummaryOptions const& options, bool need_value,
                            bool discrete) {
  CustomerTableRequest request;
  request.id_column = options.input.id_column;
  request.columns = {options.frequency_column, options.recency_column, options.age_column};
  if (need_value) request.columns.push_back(options.value_column);
  if (!options.weights_column.empty()) request.columns.push_back(options.weights_column);
  request.numeric = request.columns;
  request.needed_by = "cie clv";
  CustomerTable const table = read_customer_table(ctx, options.summary_path, request);
  CIE_EXPECTS_DATA(table.rows() > 0, "{}: no customer rows", table.source);
  auto const column = [&](std::string const& name) {
    TableColumn const& c = *table.find(name);
    for (std::size_t row = 0; row < table.rows(); ++row) {
      CIE_EXPECTS_DATA(!c.missing[row], "{}: column {}: missing value", table.describe_row(row),
                       name);
    }
    return c.numbers;
  };
  Customers customers;
  customers.ids = table.ids;
  customers.summary.frequency = column(options.frequency_column);
  customers.summary.recency = column(options.recency_column);
  customers.summary.age = column(options.age_column);
  customers.summary.value =
      need_value ? column(options.value_column) : std::vector<double>(table.rows(), 0.0);
  if (!options.weights_column.empty()) customers.summary.weight = column(options.weights_column);
  if (std::optional<InvalidRow> const bad = discrete ? find_invalid_discrete_row(customers.summary)
                                                     : find_invalid_row(customers.summary)) {
    fail(ExitCode::kInputData, "{}: {}", table.describe_row(bad->row), bad->reason);
  }
  customers.description = fmt::format("{} rows ({} customers) from {}", table.rows(),
                                      customers.summary.customers(), options.summary_path);
  return customers;
}

std::string model_title(std::string_view model_type) {
  if (model_type == "bgnbd") return "BG/NBD";
  if (model_type == "mbgnbd") return "MBG/NBD";
  return model_type == "pareto-nbd" ? "Pareto/NBD" : "BG/BB";
}

std::string describe_fit(FittedDistribution const& fit, std::string_view title) {
  std::string out = fmt::format(
      "{}: {} customers in {} distinct rows, log-likelihood {:.6f}, {} "
      "iterations, |gradient| {:.2g}\n",
      title, fit.customers, fit.rows, fit.log_likelihood, fit.iterations, fit.gradient_norm);
  for (std::size_t j = 0; j < fit.names.size(); ++j) {
    out += fmt::format("  {:<6} {:>12.6f}  (se {:.6f})\n", fit.names[j], fit.values[j],
                       fit.std_errors[j]);
  }
  return out;
}

void require_converged(FittedDistribution const& fit, std::string_view title) {
  if (!fit.converged) {
    fail(ExitCode::kInputData,
         "{} fit did not converge after {} iterations (|gradient| {:.3g}); no model was written. "
         "A --penalizer such as 0.001 often helps",
         title, fit.iterations, fit.gradient_norm);
  }
}

}  // namespace cie::cli
