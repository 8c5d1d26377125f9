// `cie clv evaluate`: calibration/holdout check of a purchase model on one transactions file.
// Fits the model on the purchases up to --calibration-end (as `cie clv fit`), predicts each
// customer's repeat purchases over the holdout window (--calibration-end, --holdout-end], and
// compares them with the purchase days each customer actually had there, per calibration
// frequency (FHL 2005's conditional-expectations table), with the MAE per customer and per
// frequency. Customers first seen in the holdout are not part of it. --out writes the table.
// --tracking-out writes the weekly aggregate tracking series (lifetimes'
// expected_cumulative_transactions with freq "D", freq_multiplier 7): every customer of the file,
// from the data's first purchase day through --holdout-end.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/date.hpp"
#include "core/error.hpp"
#include "host/cli/clv_inputs.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/output_paths.hpp"
#include "models/clv/clv_evaluation.hpp"
#include "models/clv/clv_model.hpp"

namespace cie::cli {
namespace {

struct ClvEvaluateOptions {
  SummaryOptions source;
  std::string calibration_end;
  std::string holdout_end;
  std::string model_type = "bgnbd";
  int max_frequency = 7;
  std::string out_path;
  std::string tracking_path;
  ClvFitParams params;
};

std::int32_t required_date(std::string const& text, std::string_view option) {
  CIE_EXPECTS(!text.empty(), "{} is required", option);
  std::optional<std::int32_t> const day = parse_date(text);
  CIE_EXPECTS(day.has_value(), "{}: expected a date such as 2024-12-31, got '{}'", option, text);
  return *day;
}

/// The weekly tracking series from the data's first purchase day through holdout_end, written to
/// --tracking-out; returns the lines for the report.
std::string write_tracking(Context const& ctx, ClvEvaluateOptions const& options,
                           Transactions const& transactions, std::int32_t holdout_end,
                           ClvModel const& model) {
  // Distinct purchase days per customer (returns are never purchase occasions, as in RFM).
  std::vector<std::pair<std::int32_t, std::int32_t>> days;  // (customer, day)
  days.reserve(transactions.size());
  for (std::size_t i = 0; i < transactions.size(); ++i) {
    std::int32_t const day = day_of(transactions.timestamp[i]);
    if (!std::signbit(transactions.amount[i]) && day <= holdout_end) {
      days.emplace_back(transactions.customer[i], day);
    }
  }
  std::sort(days.begin(), days.end());
  days.erase(std::unique(days.begin(), days.end()), days.end());
  CIE_EXPECTS_DATA(!days.empty(), "{}: no purchase on or before --holdout-end",
                   options.source.transactions_path);
  std::vector<std::int32_t> first_day, repeat_days;
  std::int32_t start_day = days.front().second;
  for (std::size_t i = 0; i < days.size(); ++i) {
    if (i == 0 || days[i].first != days[i - 1].first) {
      first_day.push_back(days[i].second);
      start_day = std::min(start_day, days[i].second);
    } else {
      repeat_days.push_back(days[i].second);
    }
  }
  int const weeks = (holdout_end + 1 - start_day) / 7;
  std::vector<TrackingPoint> const series = tracking_series(
      first_day, repeat_days, start_day, 7, weeks, model.time_unit_days,
      [&](double t) { return expected_purchases_from_start(model.transactions, t); });
  std::vector<CsvColumns> schema;
  schema.push_back(
      {{"week", "end_date", "actual_cumulative", "expected_cumulative", "actual", "expected"},
       [&](fmt::memory_buffer& line, std::size_t r) {
         TrackingPoint const& p = series[r];
         double const previous_actual = r > 0 ? series[r - 1].actual_cumulative : 0.0;
         double const previous_expected = r > 0 ? series[r - 1].expected_cumulative : 0.0;
         fmt::format_to(std::back_inserter(line), "{},{},{},{},{},{}", p.period,
                        format_date(p.end_day - 1), p.actual_cumulative, p.expected_cumulative,
                        p.actual_cumulative - previous_actual,
                        p.expected_cumulative - previous_expected);
       }});
  write_csv_table(ctx, options.tracking_path, schema, series.size());
  if (!series.empty() && !std::isfinite(series.back().expected_cumulative)) {
    ctx.logger().warn(
        "the tracking series has no expected values: the model's expected purchases cannot be "
        "summed at these parameters");
  }
  std::string out =
      fmt::format("  weekly tracking over {} weeks from {}", weeks, format_date(start_day));
  if (!series.empty()) {
    out += fmt::format(": cumulative repeat purchases actual {:.0f}, expected {:.1f}",
                       series.back().actual_cumulative, series.back().expected_cumulative);
  }
  out += fmt::format("\nwrote {}\n", options.tracking_path);
  return out;
}

void run_clv_evaluate(GlobalOptions const& global, ClvEvaluateOptions const& options) {
  CIE_EXPECTS(!options.source.transactions_path.empty() && options.source.summary_path.empty(),
              "evaluate needs --transactions (and no --summary)");
  CIE_EXPECTS(options.model_type == "bgnbd" || options.model_type == "mbgnbd" ||
                  options.model_type == "pareto-nbd",
              "--model-type: evaluate takes bgnbd, mbgnbd or pareto-nbd, got '{}'",
              options.model_type);
  std::int32_t const calibration_end = required_date(options.calibration_end, "--calibration-end");
  std::int32_t const holdout_end = required_date(options.holdout_end, "--holdout-end");
  CIE_EXPECTS(holdout_end > calibration_end, "--holdout-end {} must be after --calibration-end {}",
              options.holdout_end, options.calibration_end);
  CIE_EXPECTS(options.max_frequency >= 0, "--max-frequency must be >= 0, got {}",
              options.max_frequency);
  options.params.validate();
  int const unit_days = time_unit_days(options.source.time_unit);
  check_output_paths({{options.source.transactions_path, "--transactions"}},
                     {{options.out_path, "--out"}, {options.tracking_path, "--tracking-out"}});
  Context ctx = make_context(global);
  ReadReport report;
  Transactions const transactions = read_clv_transactions(ctx, options.source, report);
  RfmTable const calibration = summary_rfm(ctx, transactions, calibration_end + 1, unit_days);
  RfmTable const through_holdout = summary_rfm(ctx, transactions, holdout_end + 1, unit_days);
  ClvSummary const summary = summary_from_rfm(calibration);

  std::string const title = model_title(options.model_type);
  ClvModel model;
  model.time_unit_days = unit_days;
  model.transactions = fit_purchases(ctx, options.params, options.model_type, summary);
  require_converged(model.transactions, title);
  ClvPredictParams predict;
  predict.horizon = static_cast<double>(holdout_end - calibration_end) / unit_days;
  ClvPredictions const predictions = predict_clv(ctx, model, predict, summary);

  // Holdout purchase days: distinct days through the holdout minus those in calibration.
  std::vector<std::int32_t> row_of(transactions.customer_count(), -1);
  for (std::size_t j = 0; j < through_holdout.size(); ++j) {
    row_of[static_cast<std::size_t>(through_holdout.customer[j])] = static_cast<std::int32_t>(j);
  }
  std::vector<double> actual(calibration.size());
  for (std::size_t i = 0; i < calibration.size(); ++i) {
    std::int32_t const j = row_of[static_cast<std::size_t>(calibration.customer[i])];
    CIE_ASSERT(j >= 0);
    actual[i] = through_holdout.frequency[static_cast<std::size_t>(j)] - calibration.frequency[i];
  }
  HoldoutEvaluation const evaluation = evaluate_holdout(
      summary.frequency, actual, predictions.expected_purchases, {}, options.max_frequency);

  std::string out = fmt::format(
      "CLV holdout evaluation on {}: {} fitted on {} customers up to {}, holdout to {} ({:.4g} "
      "{})\n",
      ctx.device_name(), title, calibration.size(), options.calibration_end, options.holdout_end,
      predict.horizon, options.source.time_unit);
  out += describe_fit(model.transactions, title);
  out += fmt::format("  {:>9} {:>10} {:>12} {:>12}\n", "frequency", "customers", "actual",
                     "predicted");
  for (HoldoutRow const& row : evaluation.by_frequency) {
    out += fmt::format("  {:>8}{} {:>10} {:>12.4f} {:>12.4f}\n", row.frequency,
                       row.or_more ? "+" : " ", row.customers, row.actual_mean, row.predicted_mean);
  }
  out += fmt::format(
      "  total repeat purchases in the holdout: actual {:.0f}, predicted {:.1f}\n"
      "  MAE per customer {:.4f}; per calibration frequency (customer-weighted) {:.4f}\n",
      evaluation.actual_total, evaluation.predicted_total, evaluation.customer_mae,
      evaluation.frequency_mae);
  if (!options.out_path.empty()) {
    std::vector<CsvColumns> schema;
    schema.push_back({{"frequency", "customers", "actual_mean", "predicted_mean"},
                      [&](fmt::memory_buffer& line, std::size_t r) {
                        HoldoutRow const& row = evaluation.by_frequency[r];
                        fmt::format_to(std::back_inserter(line), "{}{},{},{},{}", row.frequency,
                                       row.or_more ? "+" : "", row.customers, row.actual_mean,
                                       row.predicted_mean);
                      }});
    write_csv_table(ctx, options.out_path, schema, evaluation.by_frequency.size());
    out += fmt::format("wrote {}\n", options.out_path);
  }
  if (!options.tracking_path.empty()) {
    out += write_tracking(ctx, options, transactions, holdout_end, model);
  }
  fmt::print("{}", out);
}

}  // namespace

void add_clv_evaluate_command(CLI::App& clv, GlobalOptions const& global) {
  auto options = std::make_shared<ClvEvaluateOptions>();
  CLI::App* command = clv.add_subcommand(
      "evaluate", "calibration/holdout check: predicted vs actual holdout purchases");
  options->source.add_to(*command);
  command->add_option("--calibration-end", options->calibration_end, "last calibration day")
      ->required();
  command->add_option("--holdout-end", options->holdout_end, "last holdout day")->required();
  command->add_option("--model-type", options->model_type, "bgnbd | mbgnbd | pareto-nbd")
      ->capture_default_str();
  command->add_option("--time-unit", options->source.time_unit, "weeks | days")
      ->capture_default_str();
  command->add_option("--penalizer", options->params.penalizer, "L2 penalty (penalizer_coef)")
      ->capture_default_str();
  command
      ->add_option("--max-frequency", options->max_frequency,
                   "last row of the table gathers this calibration frequency and more")
      ->capture_default_str();
  command->add_option("--out", options->out_path, "the table as CSV");
  command->add_option("--tracking-out", options->tracking_path,
                      "the weekly cumulative repeat-purchase tracking series as CSV");
  command->callback([options, &global] { run_clv_evaluate(global, *options); });
}

}  // namespace cie::cli
