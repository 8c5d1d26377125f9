// `cie clv`: customer lifetime value with the "buy till you die" models.
//   fit      BG/NBD, modified BG/NBD, Pareto/NBD (--model-type) or, on a summary of discrete
//   opportunities, BG/BB
//            purchases (and Gamma-Gamma spend with --spend gamma-gamma) on the summary of a
//            transactions file up to --calibration-end (RFM's repeat_frequency, repeat_recency, T,
//            mean_repeat_value) or on a summary file (--summary), then writes the model file;
//   predict  per customer P(alive), expected purchases over --horizon, expected mean spend and
//            CLV (lifetimes' customer_lifetime_value times --margin), and with --p-purchases K
//            P(n purchases over --horizon) for n = 0..K, written as CSV.
// A summary file is a customer table (host/io/customer_table_reader.hpp) with lifetimes' columns
// (frequency, recency, T, monetary_value by default; --*-col rename them, --weights-col adds
// weights, --id-col "" numbers the rows).
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "core/date.hpp"
#include "core/error.hpp"
#include "host/cli/clv_inputs.hpp"
#include "host/cli/commands.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"
#include "host/io/output_paths.hpp"
#include "models/clv/clv_model.hpp"
#include "models/rfm/rfm.hpp"

namespace cie::cli {
namespace {

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
    CIE_EXPECTS(!options.calibration_end.empty(),
                "--calibration-end is required with --transactions");
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
          : summary_from_file(ctx, options.source, with_spend, discrete);

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
    for (std::string const& warning : fit->warnings)
      ctx.logger().warn("{}: {}", fit->model, warning);
  }
  if (model.spend && std::abs(model.spend->frequency_value_correlation) > 0.3) {
    ctx.logger().warn(
        "Gamma-Gamma: frequency and mean repeat value are correlated ({:.3f}); the "
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
  ClvModel const model = ClvModel::from_document(read_model_file(options.model_path, kClvModelKind),
                                                 options.model_path);
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
    customers = summary_from_file(ctx, options.source, model.spend.has_value());
  }
  ClvPredictions const predictions = predict_clv(ctx, model, options.params, customers.summary);
  ClvSummary const& s = customers.summary;
  std::vector<CsvColumns> schema;
  schema.push_back({{"customer_id"}, [&](fmt::memory_buffer& out, std::size_t row) {
                      append_csv_field(out, customers.ids[row]);
                    }});
  schema.push_back(
      {{"frequency", "recency", "T", "p_alive", "expected_purchases", "expected_value", "clv"},
       [&](fmt::memory_buffer& out, std::size_t row) {
         for (double v : {s.frequency[row], s.recency[row], s.age[row], predictions.p_alive[row],
                          predictions.expected_purchases[row]}) {
           append_number(out, v);
           out.push_back(',');
         }
         append_number(out, predictions.expected_value[row]);
         out.push_back(',');
         append_number(out, predictions.clv[row]);
       }});
  int const pmf_width = options.params.max_purchases + 1;
  if (pmf_width > 0) {
    std::vector<std::string> names;
    for (int k = 0; k < pmf_width; ++k) names.push_back(fmt::format("p_purchases_{}", k));
    schema.push_back(
        {names, [&](fmt::memory_buffer& out, std::size_t row) {
           for (int k = 0; k < pmf_width; ++k) {
             if (k > 0) out.push_back(',');
             append_number(out, predictions.p_purchases[row * static_cast<std::size_t>(pmf_width) +
                                                        static_cast<std::size_t>(k)]);
           }
         }});
  }
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
  std::string out =
      fmt::format("CLV predictions on {}: {}\n", ctx.device_name(), customers.description);
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
    ctx.logger().warn("{} rows have no expected purchases (the series could not be summed)",
                      undefined);
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
  fit_command->add_option("--model-type", fit->model_type, "bgnbd | mbgnbd | pareto-nbd | bgbb")
      ->capture_default_str();
  fit_command->add_option("--spend", fit->spend, "none | gamma-gamma")->capture_default_str();
  fit_command->add_option("--time-unit", fit->source.time_unit, "weeks | days")
      ->capture_default_str();
  fit_command
      ->add_option("--penalizer", fit->params.penalizer,
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
  predict_command
      ->add_option("--horizon", predict->params.horizon,
                   "expected purchases over this many time units")
      ->capture_default_str();
  predict_command->add_option("--clv-months", predict->params.clv_months, "months of CLV")
      ->capture_default_str();
  predict_command
      ->add_option("--discount-rate", predict->params.monthly_discount, "discount rate per month")
      ->capture_default_str();
  predict_command->add_option("--margin", predict->params.margin, "profit share of spend")
      ->capture_default_str();
  predict_command
      ->add_option("--p-purchases", predict->params.max_purchases,
                   "also P(n purchases over --horizon) for n = 0..K, columns p_purchases_n "
                   "(bgbb: --horizon in whole opportunities; -1: none)")
      ->capture_default_str();
  predict_command->add_option("--out", predict->out_path, "output CSV")->required();
  predict_command->callback([predict, &global] { run_predict(global, *predict); });
  add_clv_evaluate_command(*clv, global);
}

}  // namespace cie::cli
