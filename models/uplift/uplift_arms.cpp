#include "models/uplift/uplift_arms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "core/error.hpp"

namespace cie::uplift {
namespace {

using nlohmann::json;

json fingerprint_json(DataFingerprint const& fingerprint) {
  return {{"xxh64", fmt::format("{:016x}", fingerprint.xxh64)},
          {"rows", fingerprint.rows},
          {"cols", fingerprint.cols}};
}

DataFingerprint fingerprint_from_json(json const& value, std::string const& source) {
  bool const ok = value.is_object() && value.contains("xxh64") && value["xxh64"].is_string() &&
                  value["xxh64"].get<std::string>().size() == 16 && value.contains("rows") &&
                  value["rows"].is_number_unsigned() && value.contains("cols") &&
                  value["cols"].is_number_unsigned();
  CIE_EXPECTS(ok, "model file {} is damaged: an arm's training_data is not a fingerprint", source);
  std::string const hash = value["xxh64"].get<std::string>();
  CIE_EXPECTS(hash.find_first_not_of("0123456789abcdef") == std::string::npos,
              "model file {} is damaged: an arm's training_data.xxh64 is not 16 hex digits",
              source);
  return {std::stoull(hash, nullptr, 16), value["rows"].get<std::size_t>(),
          value["cols"].get<std::size_t>()};
}

/// Runs `work`, prefixing the message of a cie::Error it throws with "arm 'ARM': ".
template <typename Work>
auto for_arm(std::string const& arm, Work&& work) {
  try {
    return work();
  } catch (Error const& error) {
    throw Error(error.code(), fmt::format("arm '{}': {}", arm, error.what()));
  }
}

}  // namespace

bool is_multi_arm(ModelDocument const& document) {
  return document.kind == kUpliftModelKind && document.fitted.is_object() &&
         document.fitted.contains("arms");
}

UpliftArmsModel::UpliftArmsModel(std::string control, std::vector<std::string> arms,
                                 std::vector<UpliftModel> models,
                                 std::vector<DataFingerprint> training_data)
    : control_(std::move(control)),
      arms_(std::move(arms)),
      models_(std::move(models)),
      training_data_(std::move(training_data)) {
  CIE_ASSERT(!arms_.empty() && models_.size() == arms_.size() &&
             training_data_.size() == arms_.size());
}

ArmScores UpliftArmsModel::predict(Context const& ctx, CustomerTable const& table,
                                   std::string const& model_source) const {
  ArmScores scores;
  for (UpliftModel const& model : models_) {
    scores.arm_uplift.push_back(model.predict(ctx, table, model_source));
  }
  std::size_t const rows = table.rows();
  scores.best_arm.assign(rows, 0);
  scores.uplift.assign(rows, 0.0);
  for (std::size_t i = 0; i < rows; ++i) {
    std::int32_t best = 0;
    for (std::size_t k = 1; k < arms_.size(); ++k) {
      if (scores.arm_uplift[k][i] > scores.arm_uplift[static_cast<std::size_t>(best)][i]) {
        best = static_cast<std::int32_t>(k);
      }
    }
    scores.best_arm[i] = best;
    scores.uplift[i] = scores.arm_uplift[static_cast<std::size_t>(best)][i];
  }
  return scores;
}

ModelDocument UpliftArmsModel::to_document() const {
  ModelDocument document;
  document.kind = kUpliftModelKind;
  json arms = json::array();
  for (std::size_t k = 0; k < arms_.size(); ++k) {
    ModelDocument const part = models_[k].to_document();
    if (k == 0) document.features = part.features;
    arms.push_back({{"arm", arms_[k]},
                    {"fitted", part.fitted},
                    {"training_data", fingerprint_json(training_data_[k])}});
  }
  document.fitted = {{"method", to_string(method())}, {"control", control_}, {"arms", arms}};
  document.training_data = training_data_.front();
  return document;
}

UpliftArmsModel UpliftArmsModel::from_document(ModelDocument const& document,
                                               std::string const& source) {
  CIE_EXPECTS(document.kind == kUpliftModelKind,
              "model file {} holds a {} model, not an uplift model", source, document.kind);
  json const& fitted = document.fitted;
  CIE_EXPECTS(fitted.contains("arms") && fitted["arms"].is_array() && !fitted["arms"].empty() &&
                  fitted.contains("control") && fitted["control"].is_string() &&
                  fitted.contains("method") && fitted["method"].is_string(),
              "model file {} is damaged: fitted.arms, fitted.control or fitted.method is missing",
              source);
  UpliftMethod const method = parse_uplift_method(fitted["method"].get<std::string>());
  std::vector<std::string> arms;
  std::vector<UpliftModel> models;
  std::vector<DataFingerprint> training_data;
  for (json const& entry : fitted["arms"]) {
    CIE_EXPECTS(entry.is_object() && entry.contains("arm") && entry["arm"].is_string() &&
                    entry.contains("fitted") && entry.contains("training_data"),
                "model file {} is damaged: an arm lacks arm, fitted or training_data", source);
    std::string const arm = entry["arm"].get<std::string>();
    CIE_EXPECTS(std::find(arms.begin(), arms.end(), arm) == arms.end() &&
                    arm != fitted["control"].get<std::string>(),
                "model file {} is damaged: arm '{}' is listed twice or is the control", source,
                arm);
    ModelDocument part;
    part.kind = kUpliftModelKind;
    part.fitted = entry["fitted"];
    models.push_back(UpliftModel::from_document(part, source));
    CIE_EXPECTS(models.back().method() == method,
                "model file {} is damaged: arm '{}' has method {}, the file {}", source, arm,
                to_string(models.back().method()), to_string(method));
    training_data.push_back(fingerprint_from_json(entry["training_data"], source));
    arms.push_back(arm);
  }
  return UpliftArmsModel(fitted["control"].get<std::string>(), std::move(arms), std::move(models),
                         std::move(training_data));
}

UpliftArmsTraining train_uplift_arms(Context const& ctx, CustomerTable const& table,
                                     std::span<float const> response,
                                     std::span<std::int32_t const> group,
                                     std::vector<std::string> const& arms,
                                     std::string const& control, std::string const& group_column,
                                     std::vector<EncodedColumnSpec> const& specs,
                                     UpliftParams const& params, std::string const& target) {
  params.validate();
  CIE_ASSERT(response.size() == table.rows() && group.size() == table.rows() && !arms.empty());
  // Customers and responders of the control (0) and of every arm (k + 1).
  std::vector<std::size_t> customers(arms.size() + 1, 0);
  std::vector<std::size_t> responders(arms.size() + 1, 0);
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (group[i] < 0) continue;
    auto const g = static_cast<std::size_t>(group[i]);
    CIE_ASSERT(g <= arms.size());
    ++customers[g];
    responders[g] += response[i] == 1.0F ? 1 : 0;
  }
  CIE_EXPECTS_DATA(customers[0] > 0,
                   "{}: no control customers (no row has {} = '{}'): every arm needs the control "
                   "to be compared with",
                   table.source, group_column, control);
  for (std::size_t g = 0; g <= arms.size(); ++g) {
    std::string const& name = g == 0 ? control : arms[g - 1];
    std::string const what = fmt::format("{} '{}'", g == 0 ? "the control" : "arm", name);
    CIE_EXPECTS_DATA(customers[g] > 0, "{}: {} has no customers (no row has {} = '{}')",
                     table.source, what, group_column, name);
    CIE_EXPECTS_DATA(
        responders[g] > 0 &&
                responders[g]<
                    customers[g],
                    "{}: every one of the {} customers of {} has {} = {}: an uplift model needs "
                    "responders and non-responders in every arm and in the control",
                    table.source, customers[g], what, target, responders[g]> 0
            ? 1
            : 0);
  }

  std::vector<UpliftModel> models;
  std::vector<DataFingerprint> fingerprints;
  std::vector<std::uint8_t> is_validation(table.rows(), 0);
  std::vector<std::int8_t> control_validation(table.rows(), -1);
  json arm_reports = json::array();
  for (std::size_t k = 0; k < arms.size(); ++k) {
    auto const code = static_cast<std::int32_t>(k + 1);
    std::vector<std::size_t> rows;
    std::vector<float> arm_response;
    std::vector<std::uint8_t> treatment;
    for (std::size_t i = 0; i < table.rows(); ++i) {
      if (group[i] != 0 && group[i] != code) continue;
      rows.push_back(i);
      arm_response.push_back(response[i]);
      treatment.push_back(group[i] == code ? 1 : 0);
    }
    CustomerTable const part = select_rows(table, rows);
    UpliftTraining trained = for_arm(arms[k], [&] {
      return train_uplift(ctx, part, arm_response, treatment, specs, params, target);
    });
    for (std::size_t j = 0; j < rows.size(); ++j) {
      std::size_t const row = rows[j];
      if (treatment[j] == 0) {
        // The control's hold-out depends only on the control rows: the same for every arm.
        CIE_ASSERT(control_validation[row] < 0 ||
                   control_validation[row] == static_cast<std::int8_t>(trained.is_validation[j]));
        control_validation[row] = static_cast<std::int8_t>(trained.is_validation[j]);
      }
      is_validation[row] = trained.is_validation[j];
    }
    json report = {
        {"arm", arms[k]}, {"arm_customers", customers[k + 1]}, {"control_customers", customers[0]}};
    report.update(trained.report);
    arm_reports.push_back(report);
    models.push_back(std::move(trained.model));
    fingerprints.push_back(trained.training_data);
  }
  DataFingerprint const first = fingerprints.front();
  UpliftArmsModel model(control, arms, std::move(models), std::move(fingerprints));

  bool const held_out = params.validation_fraction > 0.0;
  std::vector<std::size_t> evaluated;
  for (std::size_t i = 0; i < table.rows(); ++i) {
    if (group[i] >= 0 && (!held_out || is_validation[i] != 0)) evaluated.push_back(i);
  }
  ArmScores scores = model.predict(ctx, select_rows(table, evaluated), "(in memory)");
  json shares = json::object();
  for (std::size_t k = 0; k < arms.size(); ++k) {
    auto const chosen =
        std::count(scores.best_arm.begin(), scores.best_arm.end(), static_cast<std::int32_t>(k));
    shares[arms[k]] = evaluated.empty()
                          ? 0.0
                          : static_cast<double>(chosen) / static_cast<double>(evaluated.size());
  }
  json report = {{"control", control},
                 {"held_out", held_out},
                 {"customers", evaluated.size()},
                 {"arms", arm_reports},
                 {"best_arm_share", shares}};
  return {std::move(model),  std::move(is_validation), std::move(evaluated),
          std::move(scores), std::move(report),        first};
}

}  // namespace cie::uplift
