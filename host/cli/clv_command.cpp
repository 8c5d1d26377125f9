// `cie clv`: customer lifetime value with the "buy till you die" models.
//   fit      BG/NBD, Pareto/NBD (--model-type) or, on a summary of discrete opportunities, BG/BB
//            purchases (and Gamma-Gamma spend with --spend gamma-gamma) on the summary of a
//            transactions file up to --calibration-end (RFM's repeat_frequency, repeat_recency, T,
//            mean_repeat_value) or on a summary file (--summary), then writes the model file;
//   predict  per customer P(alive), expected purchases over --horizon, expected mean spend and
//            CLV (lifetimes' customer_lifetime_value times --margin), written as CSV.
// A summary file is a customer table (host/io/customer_table_reader.hpp) with lifetimes' columns
// (frequency, recency, T, monetary_value by default; --*-col rename them, --weights-col adds
// weights, --id-col "" numbers the rows).
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "core/date.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "models/clv/clv_model.hpp"
#include "models/rfm/rfm.hpp"

namespace cie::cli {
namespace {

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

  void add_to(CLI::App& command) {
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
  [[nodiscard]] std::string const& input_path() const {
    return summary_path.empty() ? transactions_path : summary_path;
  }
  [[nodiscard]] char const* input_setting() const {
    return summary_path.empty() ? "--transactions" : "--summary";
  }
  void check_source() const {
    CIE_EXPECTS(transactions_path.empty() != summary_path.empty(),
                "give one of --transactions and --summary");
  }
};

int time_unit_days(std::string const& unit) {
  if (unit == "weeks") return 7;
  if (unit == "days") return 1;
  fail(ExitCode::kUsage, "--time-unit: expected weeks or days, got '{}'", unit);
}

/// Customer ids and their summary.
struct Customers {
  std::vector<std::string> ids;
  ClvSummary summary;
  std::string description;  ///< for the printed report
};

/// The summary as of `as_of_day` (unset: the day after the last transaction, as `cie rfm`).
Customers summary_from_transactions(Context const& ctx, SummaryOptions const& options,
                                    std::optional<std::int32_t> as_of, int unit_days) {
  TransactionsFormat const format = options.input.to_format();
  ReadReport report;
  Transactions const transactions =
      read_transactions(ctx, options.transactions_path, format, report);
  std::int32_t const as_of_day = as_of ? *as_of : default_as_of_day(transactions);
  RfmParams params;
  params.as_of_day = as_of_day;
  params.time_unit_days = unit_days;
  RfmTable const table = compute_rfm(ctx, params, transactions, SegmentTable::standard(5));
  Customers customers;
  customers.summary = summary_from_rfm(table);
  customers.ids.reserve(table.size());
  for (std::int32_t c : table.customer) customers.ids.push_back(transactions.customer_ids[c]);
  customers.description = fmt::format(
      "{} customers with a purchase before {} ({} transactions read, {} rejected, {} on or after "
      "that day not used)",
      table.size(), format_date(as_of_day), report.rows_accepted, report.rows_rejected,
      table.transactions_after_as_of);
  if (report.rows_rejected > 0) {
    ctx.logger().warn("{} bad rows were not used; the first: {}", report.rows_rejected,
                      report.first_rejection);
  }
  return customers;
}

/// `discrete`: BG/BB's opportunities, checked with find_invalid_discrete_row.
Customers summary_from_file(SummaryOptions const& options, bool need_value, bool discrete = false) {
  CustomerTableRequest request;
  request.id_column = options.input.id_column;
  request.columns = {options.frequency_column, options.recency_column, options.age_column};
  if (need_value) request.columns.push_back(options.value_column);
  if (!options.weights_column.empty()) request.columns.push_back(options.weights_column);
  request.numeric = request.columns;
  request.needed_by = "cie clv";
  CustomerTable const table = read_customer_table(options.summary_path, request);
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
  customers.summary.value = need_value ? column(options.value_column)
                                       : std::vector<double>(table.rows(), 0.0);
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
  return model_type == "bgnbd" ? "BG/NBD" : model_type == "pareto-nbd" ? "Pareto/NBD" : "BG/BB";
}

std::string describe_fit(FittedDistribution const& fit, std::string_view title) {
  std::string out = fmt::format("{}: {} customers in {} distinct rows, log-likelihood {:.6f}, {} "
                                "iterations, |gradient| {:.2g}\n",
                                title, fit.customers, fit.rows, fit.log_likelihood, fit.iterations,
                                fit.gradient_norm);
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

struct FitOptions {
  SummaryOptions source;
  std::string calibration_end;
  std::string model_type = "bgnbd";
  std::string spend = "none";
  std::string model_path;
  ClvFitParams params;
};

void run_fit(GlobalOptions const& global, FitOptions const& options) {
  options.source.check_source();
  (void)purchase_likelihood(options.model_type);  // a usage error for an unknown type
  bool const discrete = options.model_type == "bgbb";
  CIE_EXPECTS(!discrete || !options.source.summary_path.empty(),
              "--model-type bgbb needs --summary (discrete opportunities: frequency, recency and T "
              "counted in opportunities)");
  CIE_EXPECTS(!discrete || options.spend == "none",
              "--spend gamma-gamma is not available with --model-type bgbb");
  CIE_EXPECTS(options.spend == "none" || options.spend == "gamma-gamma",
              "--spend: expected none or gamma-gamma, got '{}'", options.spend);
  options.params.validate();
  int const unit_days = time_unit_days(options.source.time_unit);
  std::optional<std::int32_t> end;
  if (!options.source.transactions_path.empty()) {
    CIE_EXPECTS(!options.calibration_end.empty(), "--calibration-end is required with --transactions");
    end = parse_date(options.calibration_end);
    CIE_EXPECTS(end.has_value(), "--calibration-end: expected a date such as 2024-12-31, got '{}'",
                options.calibration_end);
  }
  check_output_paths({{options.source.input_path(), options.source.input_setting()}},
                     {{options.model_path, "--model"}});
  bool const with_spend = options.spend == "gamma-gamma";
  Context ctx = make_context(global);
  Customers const customers =
      end ? summary_from_transactions(ctx, options.source, *end + 1, unit_days)
          : summary_from_file(options.source, with_spend, discrete);

  ClvModel model;
  model.time_unit_days = unit_days;
  model.penalizer = options.params.penalizer;
  model.calibration_end = end ? format_date(*end) : std::string();
  std::string const title = model_title(options.model_type);
  model.transactions = fit_purchases(ctx, options.params, options.model_type, customers.summary);
  require_converged(model.transactions, title);
  std::string out = fmt::format("CLV fit on {}: {}; time unit {}\n", ctx.device_name(),
                                customers.description, options.source.time_unit);
  out += describe_fit(model.transactions, title);
  if (with_spend) {
    model.spend = fit_gamma_gamma(ctx, options.params, customers.summary);
    require_converged(model.spend->fit, "Gamma-Gamma");
    out += describe_fit(model.spend->fit, "Gamma-Gamma");
    out += fmt::format(
        "  left out: {} customers without a repeat purchase, {} with a mean repeat value <= 0\n"
        "  correlation of frequency and mean repeat value: {:.4f} (the model assumes none)\n",
        model.spend->no_repeat, model.spend->excluded_nonpositive,
        model.spend->frequency_value_correlation);
  }
  write_model_file(options.model_path, model.to_document(fingerprint_summary(customers.summary)));
  out += fmt::format("wrote {}\n", options.model_path);
  fmt::print("{}", out);
  for (FittedDistribution const* fit :
       {&model.transactions, model.spend ? &model.spend->fit : nullptr}) {
    if (fit == nullptr) continue;
    for (std::string const& warning : fit->warnings) ctx.logger().warn("{}: {}", fit->model, warning);
  }
  if (model.spend && std::abs(model.spend->frequency_value_correlation) > 0.3) {
    ctx.logger().warn("Gamma-Gamma: frequency and mean repeat value are correlated ({:.3f}); the "
                      "model assumes they are independent",
                      model.spend->frequency_value_correlation);
  }
}

struct PredictOptions {
  SummaryOptions source;
  std::string model_path;
  std::string out_path;
  std::string as_of;
  ClvPredictParams params;
};

void append_number(fmt::memory_buffer& out, double value) {
  if (std::isfinite(value)) fmt::format_to(std::back_inserter(out), "{}", value);
}

void run_predict(GlobalOptions const& global, PredictOptions const& options) {
  options.source.check_source();
  check_output_paths({{options.source.input_path(), options.source.input_setting()},
                      {options.model_path, "--model"}},
                     {{options.out_path, "--out"}});
  ClvModel const model =
      ClvModel::from_document(read_model_file(options.model_path, kClvModelKind), options.model_path);
  CIE_EXPECTS(model.transactions.model != "bgbb" || !options.source.summary_path.empty(),
              "model file {} is a BG/BB model: predict needs --summary (discrete opportunities)",
              options.model_path);
  Context ctx = make_context(global);
  Customers customers;
  if (!options.source.transactions_path.empty()) {
    std::optional<std::int32_t> as_of_day;
    if (!options.as_of.empty()) {
      as_of_day = parse_date(options.as_of);
      CIE_EXPECTS(as_of_day.has_value(), "--as-of: expected a date such as 2024-12-31, got '{}'",
                  options.as_of);
    }
    customers = summary_from_transactions(ctx, options.source, as_of_day, model.time_unit_days);
  } else {
    customers = summary_from_file(options.source, model.spend.has_value());
  }
  ClvPredictions const predictions = predict_clv(ctx, model, options.params, customers.summary);
  ClvSummary const& s = customers.summary;
  std::vector<CsvColumns> schema;
  schema.push_back({{"customer_id"}, [&](fmt::memory_buffer& out, std::size_t row) {
                      append_csv_field(out, customers.ids[row]);
                    }});
  schema.push_back({{"frequency", "recency", "T", "p_alive", "expected_purchases",
                     "expected_value", "clv"},
                    [&](fmt::memory_buffer& out, std::size_t row) {
                      for (double v : {s.frequency[row], s.recency[row], s.age[row],
                                       predictions.p_alive[row],
                                       predictions.expected_purchases[row]}) {
                        append_number(out, v);
                        out.push_back(',');
                      }
                      append_number(out, predictions.expected_value[row]);
                      out.push_back(',');
                      append_number(out, predictions.clv[row]);
                    }});
  write_csv_table(ctx, options.out_path, schema, s.size());
  double total_clv = 0.0, total_purchases = 0.0;
  std::size_t undefined = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    double const w = s.weight.empty() ? 1.0 : s.weight[i];
    if (std::isfinite(predictions.expected_purchases[i])) {
      total_purchases += w * predictions.expected_purchases[i];
    } else {
      ++undefined;
    }
    if (std::isfinite(predictions.clv[i])) total_clv += w * predictions.clv[i];
  }
  std::string out = fmt::format("CLV predictions on {}: {}\n", ctx.device_name(), customers.description);
  out += fmt::format("  expected purchases in the next {} {}: {:.2f} in total\n",
                     options.params.horizon, model.time_unit_days == 7 ? "weeks" : "days",
                     total_purchases);
  if (model.spend) {
    out += fmt::format("  CLV over {} months (discount {} a month, margin {}): {:.2f} in total\n",
                       options.params.clv_months, options.params.monthly_discount,
                       options.params.margin, total_clv);
  }
  out += fmt::format("wrote {}\n", options.out_path);
  fmt::print("{}", out);
  if (undefined > 0) {
    ctx.logger().warn("{} rows have no expected purchases (the series could not be summed)", undefined);
  }
}

}  // namespace

void add_clv_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* clv = app.add_subcommand(
      "clv", "customer lifetime value: BG/NBD, Pareto/NBD, BG/BB and Gamma-Gamma");
  clv->require_subcommand(1);

  auto fit = std::make_shared<FitOptions>();
  CLI::App* fit_command = clv->add_subcommand("fit", "fit the models and write a model file");
  fit->source.add_to(*fit_command);
  fit_command->add_option("--calibration-end", fit->calibration_end,
                          "last day of the calibration period (with --transactions)");
  fit_command->add_option("--model-type", fit->model_type, "bgnbd | pareto-nbd | bgbb")
      ->capture_default_str();
  fit_command->add_option("--spend", fit->spend, "none | gamma-gamma")->capture_default_str();
  fit_command->add_option("--time-unit", fit->source.time_unit, "weeks | days")
      ->capture_default_str();
  fit_command->add_option("--penalizer", fit->params.penalizer,
                          "L2 penalty on the parameters (lifetimes' penalizer_coef)")
      ->capture_default_str();
  fit_command->add_option("--max-iter", fit->params.max_iter, "L-BFGS iterations at most")
      ->capture_default_str();
  fit_command->add_option("--tol", fit->params.tol, "gradient tolerance")->capture_default_str();
  fit_command->add_option("--model", fit->model_path, "model file to write")->required();
  fit_command->callback([fit, &global] { run_fit(global, *fit); });

  auto predict = std::make_shared<PredictOptions>();
  CLI::App* predict_command =
      clv->add_subcommand("predict", "P(alive), expected purchases, spend and CLV per customer");
  predict->source.add_to(*predict_command);
  predict_command->add_option("--model", predict->model_path, "model file")->required();
  predict_command->add_option("--as-of", predict->as_of,
                              "with --transactions: the day after the observation window "
                              "(default: the day after the last transaction)");
  predict_command->add_option("--horizon", predict->params.horizon,
                              "expected purchases over this many time units")
      ->capture_default_str();
  predict_command->add_option("--clv-months", predict->params.clv_months, "months of CLV")
      ->capture_default_str();
  predict_command->add_option("--discount-rate", predict->params.monthly_discount,
                              "discount rate per month")
      ->capture_default_str();
  predict_command->add_option("--margin", predict->params.margin, "profit share of spend")
      ->capture_default_str();
  predict_command->add_option("--out", predict->out_path, "output CSV")->required();
  predict_command->callback([predict, &global] { run_predict(global, *predict); });
}

}  // namespace cie::cli
