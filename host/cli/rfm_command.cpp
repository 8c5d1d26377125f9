// `cie rfm`: transactions file in, one row per customer out (features, scores, cell, segment),
// and a summary on stdout.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "core/date.hpp"
#include "core/error.hpp"
#include "core/text_file.hpp"
#include "host/cli/commands.hpp"
#include "host/io/output_paths.hpp"
#include "host/io/rfm_output.hpp"
#include "models/rfm/rfm.hpp"

namespace cie::cli {
namespace {

struct RfmOptions {
  std::string transactions_path;
  std::string out_path;
  std::string as_of;
  std::string frequency;  ///< "": orders with --order-col, days otherwise
  std::string ties = "equal";
  std::string monetary = "total";
  int score_bins = 5;
  std::string time_unit = "days";
  std::string segments_path;
  TransactionsOptions input;
};

RfmParams to_params(RfmOptions const& options) {
  RfmParams params;
  if (!options.as_of.empty()) {
    std::optional<std::int32_t> day = parse_date(options.as_of);
    CIE_EXPECTS(day.has_value(), "--as-of: expected a date such as 2024-12-31, got '{}'",
                options.as_of);
    params.as_of_day = *day;
  }
  std::string const frequency = !options.frequency.empty()
                                    ? options.frequency
                                    : (options.input.order_column.empty() ? "days" : "orders");
  params.frequency = parse_frequency_definition(frequency, "--frequency");
  CIE_EXPECTS(
      params.frequency != FrequencyDefinition::kOrders || !options.input.order_column.empty(),
      "--frequency orders needs --order-col");
  params.ties = parse_score_ties(options.ties, "--ties");
  params.monetary_basis = parse_monetary_basis(options.monetary, "--monetary");
  if (options.time_unit == "days") {
    params.time_unit_days = 1;
  } else if (options.time_unit == "weeks") {
    params.time_unit_days = 7;
  } else {
    fail(ExitCode::kUsage, "--time-unit: expected days or weeks, got '{}'", options.time_unit);
  }
  params.score_bins = options.score_bins;
  params.validate();
  return params;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void run_rfm(GlobalOptions const& global, RfmOptions const& options) {
  // Every option is checked before any heavy work starts.
  TransactionsFormat format = options.input.to_format();
  // "-" is standard input: no file to compare outputs with.
  std::string const input_path = options.transactions_path == "-" ? "" : options.transactions_path;
  check_output_paths(
      {{input_path, "--transactions"}, {options.segments_path, "--segments"}},
      {{options.out_path, "--out"}, {format.quarantine_path, "--bad-rows quarantine"}});
  RfmParams params = to_params(options);
  SegmentTable segments =
      options.segments_path.empty()
          ? SegmentTable::standard(params.score_bins)
          : SegmentTable::from_toml(read_text_file(options.segments_path), options.segments_path);
  CIE_EXPECTS(segments.score_bins() == params.score_bins,
              "--segments {} is a table for {} score bins, but --score-bins is {}",
              options.segments_path, segments.score_bins(), params.score_bins);
  Context ctx = make_context(global);

  auto start = std::chrono::steady_clock::now();
  ReadReport report;
  Transactions transactions = read_transactions(ctx, options.transactions_path, format, report);
  double read_seconds = seconds_since(start);
  CIE_EXPECTS_DATA(
      transactions.size() > 0 || report.rows_rejected == 0,
      "no transactions to compute RFM from: all {} data lines of {} were rejected; the "
      "first: {}",
      report.rows_rejected, options.transactions_path, report.first_rejection);

  start = std::chrono::steady_clock::now();
  RfmTable table = compute_rfm(ctx, params, transactions, segments);
  double rfm_seconds = seconds_since(start);

  start = std::chrono::steady_clock::now();
  write_rfm_csv(ctx, table, transactions, segments, options.out_path);
  double write_seconds = seconds_since(start);

  std::size_t const ignored = transactions.customer_count() - table.size();
  std::string out =
      fmt::format("RFM as of {} on {}\n", format_date(table.as_of_day), ctx.device_name());
  out += fmt::format("  transactions  {:>12} read from {} data lines\n", report.rows_accepted,
                     report.data_lines);
  out += fmt::format("  rejected rows {:>12}{}\n", report.rows_rejected,
                     format.bad_rows == BadRowPolicy::kQuarantine
                         ? fmt::format(" (quarantined in {})", format.quarantine_path)
                         : std::string());
  if (table.transactions_after_as_of > 0) {
    out += fmt::format("  on or after the as-of date {:>6} (not used)\n",
                       table.transactions_after_as_of);
  }
  if (report.rows_cancelled > 0) {
    out += fmt::format("  cancelled rows {:>11} (order id starts with {})\n", report.rows_cancelled,
                       format.cancel_prefix);
  }
  if (format.returns == ReturnsPolicy::kExclude) {
    out += fmt::format("  returns excluded {:>9}\n", report.rows_excluded_returns);
  } else {
    out += fmt::format("  return rows {:>14} (netted into monetary values, not purchases)\n",
                       table.return_rows);
  }
  out += fmt::format("  customers     {:>12}", table.size());
  std::size_t const ignored_without_rows = ignored - table.return_only_customers;
  out += ignored_without_rows > 0
             ? fmt::format(" ({} more with no transaction before the as-of date)\n",
                           ignored_without_rows)
             : std::string("\n");
  if (table.return_only_customers > 0) {
    out += fmt::format(
        "  return-only customers {:>4} (only returns before the as-of date: not scored)\n",
        table.return_only_customers);
  }
  out += format_segment_summary(summarize_segments(table, segments));
  out += fmt::format("  wrote {} ({:.2f} s read, {:.2f} s RFM, {:.2f} s write)\n", options.out_path,
                     read_seconds, rfm_seconds, write_seconds);
  if (report.rows_rejected > 0) {
    ctx.logger().warn("{} bad rows were not used; the first: {}", report.rows_rejected,
                      report.first_rejection);
  }
  fmt::print("{}", out);
}

}  // namespace

void add_rfm_command(CLI::App& app, GlobalOptions const& global) {
  auto options = std::make_shared<RfmOptions>();
  CLI::App* command =
      app.add_subcommand("rfm", "RFM features, scores and segments from a transactions file");
  command
      ->add_option("--transactions", options->transactions_path,
                   "transactions file; - for standard input; gzip is read as such")
      ->required();
  command->add_option("--out", options->out_path, "output CSV, one row per customer")->required();
  command->add_option("--as-of", options->as_of,
                      "analysis date; later transactions are ignored (default: the day after the "
                      "last transaction)");
  command->add_option("--frequency", options->frequency,
                      "days (distinct purchase days) | transactions (purchase rows) | orders "
                      "(distinct purchase orders); default: orders with --order-col, else days");
  command
      ->add_option("--ties", options->ties,
                   "equal (equal values get equal scores) | first (pandas' "
                   "qcut(rank(method=\"first\")): ties by input order)")
      ->capture_default_str();
  command->add_option("--monetary", options->monetary, "M score ranks: total | mean")
      ->capture_default_str();
  command
      ->add_option("--score-bins", options->score_bins,
                   "scores run 1..N (2..9); without a table for N, segments are empty")
      ->capture_default_str();
  command
      ->add_option("--time-unit", options->time_unit, "unit of repeat_recency and T: days | weeks")
      ->capture_default_str();
  command->add_option("--segments", options->segments_path,
                      "segment table (TOML, as datasets/rfm_segments_5.toml); default: standard");
  options->input.add_to(*command);
  command->callback([options, &global] { run_rfm(global, *options); });
}

}  // namespace cie::cli
