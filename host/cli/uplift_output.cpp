#include "host/cli/uplift_output.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/atomic_file.hpp"
#include "host/io/csv_table.hpp"
#include "host/io/model_file.hpp"

namespace cie::cli {

using nlohmann::json;

void rank_uplift(std::vector<double> const& uplift, std::vector<std::size_t>& rank,
                 std::vector<int>& decile) {
  std::vector<std::size_t> order(uplift.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return uplift[a] > uplift[b]; });
  rank.assign(uplift.size(), 0);
  decile.assign(uplift.size(), 0);
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r + 1;
    decile[order[r]] = 1 + static_cast<int>(r * 10 / order.size());
  }
}

std::string format_uplift_report(json const& report) {
  std::string out = fmt::format(
      "{} customers{}: Qini coefficient {:.6f}, AUUC {:.6f}\n"
      "  decile  treated  control  treated rate  control rate  observed uplift  mean predicted\n",
      report["customers"].get<std::size_t>(),
      report["held_out"].get<bool>() ? " held out" : " (training rows)",
      report["qini_coefficient"].get<double>(), report["auuc"].get<double>());
  if (report.contains("cross_validation")) {
    json const& cv = report["cross_validation"];
    out =
        fmt::format(
            "{} folds of the {}: Qini coefficient {:.6f} (sd {:.6f}), AUUC {:.6f} "
            "(sd {:.6f})\n",
            cv["folds"].get<int>(), report["held_out"].get<bool>() ? "training part" : "customers",
            cv["qini_mean"].get<double>(), cv["qini_sd"].get<double>(),
            cv["auuc_mean"].get<double>(), cv["auuc_sd"].get<double>()) +
        out;
  }
  for (json const& d : report["deciles"]) {
    out += fmt::format("  {:>6} {:>8} {:>8} {:>12.2f}% {:>12.2f}% {:>15.2f}% {:>14.2f}%\n",
                       d["decile"].get<int>(), d["treated"].get<std::int64_t>(),
                       d["control"].get<std::int64_t>(), 100.0 * d["treated_rate"].get<double>(),
                       100.0 * d["control_rate"].get<double>(),
                       100.0 * d["observed_uplift"].get<double>(),
                       100.0 * d["mean_predicted_uplift"].get<double>());
  }
  return out;
}

std::vector<std::string> arm_uplift_columns(uplift::UpliftArmsModel const& model,
                                            std::string const& prefix) {
  std::vector<std::string> names;
  for (std::string const& arm : model.arms()) names.push_back(prefix + arm + "_uplift");
  return names;
}

namespace {

/// ",<arm uplift>...,best_arm,uplift" of row `i`.
void append_arm_fields(std::string& text, uplift::UpliftArmsModel const& model,
                       uplift::ArmScores const& scores, std::size_t i) {
  for (std::vector<double> const& arm : scores.arm_uplift) text += fmt::format(",{}", arm[i]);
  text += ',';
  append_csv_field(text, model.arms()[static_cast<std::size_t>(scores.best_arm[i])]);
  text += fmt::format(",{}", scores.uplift[i]);
}

void append_header(std::string& text, std::vector<std::string> const& names) {
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (k > 0) text += ',';
    append_csv_field(text, names[k]);
  }
  text += '\n';
}

}  // namespace

std::string write_arms_training(ArmsTrainingFiles const& files, ModelDocument const& document,
                                uplift::UpliftArmsTraining const& trained,
                                CustomerTable const& table, std::span<std::int32_t const> group,
                                std::span<float const> response) {
  uplift::UpliftArmsModel const& model = trained.model;
  if (!files.report_path.empty()) {
    write_file_atomically(files.report_path, json({{"model", files.model_path},
                                                   {"params", document.params},
                                                   {"evaluation", trained.report}})
                                                     .dump(2) +
                                                 "\n");
  }
  if (!files.predictions_path.empty()) {
    std::vector<std::string> names = {"customer_id", "group", "response"};
    for (std::string const& name : arm_uplift_columns(model, "")) names.push_back(name);
    names.insert(names.end(), {"best_arm", "uplift"});
    std::string text;
    append_header(text, names);
    for (std::size_t k = 0; k < trained.evaluated.size(); ++k) {
      std::size_t const row = trained.evaluated[k];
      auto const g = static_cast<std::size_t>(group[row]);
      append_csv_field(text, table.ids[row]);
      text += ',';
      append_csv_field(text, g == 0 ? model.control() : model.arms()[g - 1]);
      text += fmt::format(",{}", response[row]);
      append_arm_fields(text, model, trained.evaluated_scores, k);
      text += '\n';
    }
    write_file_atomically(files.predictions_path, text);
  }
  write_model_file(files.model_path, document);

  json const& report = trained.report;
  std::string out;
  for (json const& arm : report["arms"]) {
    out += fmt::format("arm '{}' ({} customers) against '{}' ({}):\n",
                       arm["arm"].get<std::string>(), arm["arm_customers"].get<std::size_t>(),
                       model.control(), arm["control_customers"].get<std::size_t>());
    out += format_uplift_report(arm);
  }
  out += fmt::format("best arm of the {} {} customers:", report["customers"].get<std::size_t>(),
                     report["held_out"].get<bool>() ? "held-out" : "evaluated");
  for (std::string const& arm : model.arms()) {
    out += fmt::format(" {} {:.2f}%", arm, 100.0 * report["best_arm_share"][arm].get<double>());
  }
  return out + "\n";
}

void write_arms_scores(Context const& ctx, uplift::UpliftArmsModel const& model,
                       CustomerTable const& table, std::string const& model_path,
                       std::string const& out_path) {
  uplift::ArmScores const scores = model.predict(ctx, table, model_path);
  std::vector<std::size_t> rank;
  std::vector<int> decile;
  rank_uplift(scores.uplift, rank, decile);
  std::vector<std::string> names = {"customer_id"};
  for (std::string const& name : arm_uplift_columns(model, "")) names.push_back(name);
  names.insert(names.end(), {"best_arm", "uplift", "decile", "rank"});
  std::string text;
  append_header(text, names);
  for (std::size_t row = 0; row < table.rows(); ++row) {
    append_csv_field(text, table.ids[row]);
    append_arm_fields(text, model, scores, row);
    text += fmt::format(",{},{}\n", decile[row], rank[row]);
  }
  write_file_atomically(out_path, text);
}

}  // namespace cie::cli
