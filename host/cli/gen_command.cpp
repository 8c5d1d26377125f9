// `cie gen`: writes a synthetic data set (datasets/generator.hpp) and prints a summary.
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "core/date.hpp"
#include "core/error.hpp"
#include "datasets/generator.hpp"
#include "host/cli/commands.hpp"

namespace cie::cli {
namespace {

struct GenOptions {
  std::int64_t customers = 0;
  std::string out_dir;
  std::string start = "2024-01-01";
  std::int64_t days = datasets::GeneratorParams{}.period_days;
  int arms = 0;
};

void run_gen(GlobalOptions const& global, GenOptions const& options) {
  datasets::GeneratorParams params;
  params.customers = options.customers;
  std::optional<std::int32_t> const start = parse_date(options.start);
  CIE_EXPECTS(start.has_value(), "--start must be a date YYYY-MM-DD, got '{}'", options.start);
  params.start_day = *start;
  params.period_days = options.days;
  params.arms = options.arms;
  params.validate();

  Context const ctx = make_context(global);
  datasets::GeneratorSummary const summary =
      datasets::generate_dataset(ctx, params, options.out_dir);

  auto const percent = [](std::int64_t part, std::int64_t whole) {
    return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  };
  fmt::print("customers          {}\n", summary.customers);
  fmt::print(
      "transaction rows   {} ({:.2f} per customer)\n", summary.transaction_rows,
      static_cast<double>(summary.transaction_rows) / static_cast<double>(summary.customers));
  fmt::print("returns            {} ({:.2f}% of purchases)\n", summary.return_rows,
             percent(summary.return_rows, summary.purchase_rows));
  fmt::print("treated            {} ({:.1f}%)\n", summary.treated,
             percent(summary.treated, summary.customers));
  fmt::print("response rate      {:.2f}% (mean true probability {:.2f}%)\n",
             percent(summary.responders, summary.customers), 100.0 * summary.mean_true_probability);
  fmt::print("campaign as of     {}\n", format_date(summary.as_of_day));
  for (std::string const& file : summary.files) fmt::print("wrote              {}\n", file);
}

}  // namespace

void add_gen_command(CLI::App& app, GlobalOptions const& global) {
  auto options = std::make_shared<GenOptions>();
  CLI::App* gen =
      app.add_subcommand("gen", "generate synthetic customers, transactions and a campaign");
  gen->add_option("--customers", options->customers, "number of customers")->required();
  gen->add_option("--out", options->out_dir, "output directory (created if missing)")->required();
  gen->add_option("--start", options->start, "first day of the period, YYYY-MM-DD")
      ->capture_default_str();
  gen->add_option("--days", options->days, "length of the period in days")->capture_default_str();
  gen->add_option("--arms", options->arms,
                  "treated arms of a multi-arm campaign in campaign_arms.csv (0: none, 2..9), each "
                  "with its own known effect (campaign_arms_truth.csv)")
      ->capture_default_str();
  gen->callback([&global, options] { run_gen(global, *options); });
}

}  // namespace cie::cli
