// `cie campaign`: campaign results against control groups.
//   evaluate  reads a campaign history and compares every treated arm of every campaign with
//             its control group (models/campaigns/campaign_evaluation.hpp), overall and by the
//             levels of --by; prints a table and writes CSV (--out) and JSON (--json)
//             atomically;
//   plan      the group sizes a two-proportion test needs to detect a lift with a given power.
#include <fmt/format.h>

#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/number_text.hpp"
#include "host/cli/campaign_report.hpp"
#include "host/cli/commands.hpp"
#include "host/io/campaign_history_reader.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/output_paths.hpp"
#include "models/campaigns/campaign_stats.hpp"

namespace cie::cli {
namespace {

struct EvaluateOptions {
  std::string history_path;
  std::string delimiter = "comma";
  CampaignHistoryFormat format;
  bool no_id = false;
  bool no_campaign = false;
  std::string control;
  std::string planned_split;
  double alpha = 0.05;
  int bootstrap_draws = 10000;
  std::string out_path;
  std::string json_path;
};

struct PlanOptions {
  double baseline_rate = 0.0;
  double minimum_lift = 0.0;
  bool relative = false;
  double power = 0.8;
  double alpha = 0.05;
  double treated_share = 0.5;
};

double parse_share(std::string const& text, std::string_view what) {
  double value = 0.0;
  CIE_EXPECTS(parse_number(text, value) && value > 0.0 && value < 1e300,
              "--planned-split: {} must be a positive number, got '{}'", what, text);
  return value;
}

/// "equal", a number (the control's share) or "GROUP=WEIGHT,...".
campaigns::PlannedSplit parse_planned_split(std::string const& text) {
  campaigns::PlannedSplit split;
  if (text.empty()) return split;
  if (text == "equal") {
    split.kind = campaigns::PlannedSplit::Kind::kEqual;
  } else if (text.find('=') == std::string::npos) {
    split.kind = campaigns::PlannedSplit::Kind::kControlShare;
    split.control_share = parse_share(text, "the control's share");
    CIE_EXPECTS(split.control_share < 1.0,
                "--planned-split: the control's share must be below 1, got '{}'", text);
  } else {
    split.kind = campaigns::PlannedSplit::Kind::kWeights;
    for (auto const& [group, weight] : parse_assignments(text, "--planned-split", "WEIGHT")) {
      split.weights[group] = parse_share(weight, "a weight");
    }
  }
  return split;
}

void run_evaluate(GlobalOptions const& global, EvaluateOptions options) {
  check_output_paths({{options.history_path, "--history"}},
                     {{options.out_path, "--out"}, {options.json_path, "--json"}});
  if (options.no_id) options.format.id_column.clear();
  if (options.no_campaign) options.format.campaign_column.clear();
  options.format.delimiter = parse_delimiter(options.delimiter, "--delimiter");
  CIE_EXPECTS(!options.control.empty(), "--control: name the control group");
  campaigns::EvaluationParams params;
  params.control = options.control;
  params.alpha = options.alpha;
  params.bootstrap_draws = options.bootstrap_draws;
  params.seed = global.seed;
  params.planned = parse_planned_split(options.planned_split);
  CIE_EXPECTS(options.bootstrap_draws >= 100, "--bootstrap-draws: at least 100 are needed, got {}",
              options.bootstrap_draws);
  Context const ctx = make_context(global);

  campaigns::CampaignHistory const history =
      read_campaign_history(ctx, options.history_path, options.format);
  campaigns::CampaignEvaluation const evaluation =
      campaigns::evaluate_campaigns(ctx, history, params, options.history_path);
  nlohmann::ordered_json const records =
      campaign_records(history, evaluation, options.control, options.format.by_column);

  fmt::print(
      "{} rows from {}; {} campaign(s), control group '{}'; {:.0f}% intervals; "
      "bootstrap {} draws, seed {}\n",
      history.rows(), options.history_path, history.campaign_names.size(), options.control,
      100.0 * (1.0 - params.alpha), params.bootstrap_draws, params.seed);
  fmt::print("{}", format_campaign_table(history, evaluation, records));
  if (!options.out_path.empty()) {
    write_file_atomically(options.out_path, campaign_csv(records));
    fmt::print("wrote {}\n", options.out_path);
  }
  if (!options.json_path.empty()) {
    nlohmann::ordered_json document;
    document["history"] = options.history_path;
    document["rows"] = history.rows();
    document["control"] = options.control;
    document["alpha"] = params.alpha;
    document["bootstrap_draws"] = params.bootstrap_draws;
    document["seed"] = params.seed;
    document["fisher_rule"] = fmt::format(
        "Fisher's exact test when the smallest expected cell count is below {}, else the z test",
        campaigns::kFisherExpectedCount);
    document["planned_split"] = options.planned_split;
    document["sample_ratio_checks"] = campaign_checks(history, evaluation);
    document["results"] = records;
    write_file_atomically(options.json_path, document.dump(2) + "\n");
    fmt::print("wrote {}\n", options.json_path);
  }
}

void run_plan(PlanOptions const& options) {
  double const difference =
      options.relative ? options.baseline_rate * options.minimum_lift : options.minimum_lift;
  campaigns::SampleSizePlan const plan = campaigns::plan_sample_size(
      options.baseline_rate, difference, options.power, options.alpha, options.treated_share);
  fmt::print(
      "baseline rate {:.6g}, treated rate {:.6g} (lift {:+.6g}), two-sided alpha {}, power {}\n",
      options.baseline_rate, options.baseline_rate + difference, difference, options.alpha,
      options.power);
  fmt::print("treated customers {}\ncontrol customers {}\ntotal {}\nachieved power {}\n",
             plan.treated, plan.control, plan.treated + plan.control, plan.power);
}

}  // namespace

void add_campaign_command(CLI::App& app, GlobalOptions const& global) {
  CLI::App* campaign = app.add_subcommand("campaign", "campaign results against control groups");
  campaign->require_subcommand(1);
  campaign->fallthrough();

  auto evaluate_options = std::make_shared<EvaluateOptions>();
  EvaluateOptions& e = *evaluate_options;
  CLI::App* evaluate = campaign->add_subcommand(
      "evaluate", "every treated arm against its campaign's control group");
  evaluate->fallthrough();
  evaluate->add_option("--history", e.history_path, "campaign history CSV")->required();
  evaluate->add_option("--delimiter", e.delimiter, "field separator")->capture_default_str();
  evaluate->add_option("--id-col", e.format.id_column, "customer id column")->capture_default_str();
  evaluate->add_flag("--no-id", e.no_id, "no id column: each row is its own customer");
  evaluate->add_option("--campaign-col", e.format.campaign_column, "campaign column")
      ->capture_default_str();
  evaluate->add_flag("--no-campaign", e.no_campaign, "no campaign column: one campaign, 'all'");
  evaluate->add_option("--group-col", e.format.group_column, "group (control or arm) column")
      ->capture_default_str();
  evaluate->add_option("--control", e.control, "the control group's name")->required();
  evaluate->add_option("--response-col", e.format.response_column, "0/1 response column")
      ->capture_default_str();
  evaluate->add_option("--revenue-col", e.format.revenue_column, "revenue column")
      ->capture_default_str();
  evaluate->add_option("--by", e.format.by_column,
                       "break results down by a column's levels, or by decile-of:COLUMN (deciles "
                       "of a numeric column, 1 = highest)");
  evaluate->add_option("--planned-split", e.planned_split,
                       "sample-ratio check: 'equal', the control's share (0.5), or "
                       "GROUP=WEIGHT,...");
  evaluate->add_option("--alpha", e.alpha, "1 - confidence level")->capture_default_str();
  evaluate->add_option("--bootstrap-draws", e.bootstrap_draws, "bootstrap resamples")
      ->capture_default_str();
  evaluate->add_option("--out", e.out_path, "results CSV (written atomically)");
  evaluate->add_option("--json", e.json_path, "results JSON (written atomically)");
  evaluate->callback([evaluate_options, &global] { run_evaluate(global, *evaluate_options); });

  auto plan_options = std::make_shared<PlanOptions>();
  PlanOptions& p = *plan_options;
  CLI::App* plan = campaign->add_subcommand(
      "plan", "group sizes for a two-proportion z test to detect a minimum lift");
  plan->fallthrough();
  plan->add_option("--baseline-rate", p.baseline_rate, "control response rate")->required();
  plan->add_option("--minimum-lift", p.minimum_lift,
                   "smallest lift to detect: absolute (0.01 = one point) unless --relative")
      ->required();
  plan->add_flag("--relative", p.relative, "--minimum-lift is relative (0.1 = +10%)");
  plan->add_option("--power", p.power, "power")->capture_default_str();
  plan->add_option("--alpha", p.alpha, "two-sided significance level")->capture_default_str();
  plan->add_option("--treated-share", p.treated_share, "treated share of the customers")
      ->capture_default_str();
  plan->callback([plan_options] { run_plan(*plan_options); });
}

}  // namespace cie::cli
