// TabularEncoder's model-file form (its "features" section): to_json and from_json.
#include <fmt/format.h>

#include <string_view>

#include "core/error.hpp"
#include "models/features/tabular_encoder.hpp"

namespace cie {

using nlohmann::json;

namespace {

[[noreturn]] void fail_damaged(std::string const& source, std::string_view why) {
  fail(ExitCode::kUsage, "model file {} has a damaged tabular encoder: {}", source, why);
}

}  // namespace

json TabularEncoder::to_json() const {
  CIE_ASSERT(fitted_);
  json columns = json::array();
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    EncodedColumnSpec const& spec = specs_[j];
    Fitted const& fitted = fitted_columns_[j];
    if (spec.type == ColumnType::kCategorical) {
      json column = {{"name", spec.name},
                     {"type", column_type_name(spec.type)},
                     {"max_levels", spec.max_levels},
                     {"levels", fitted.levels}};
      if (spec.level_codes) column["encoding"] = "codes";
      columns.push_back(std::move(column));
      continue;
    }
    // nlohmann writes doubles in the shortest form that reads back to the same bits.
    json column = {{"name", spec.name},
                   {"type", column_type_name(spec.type)},
                   {"transform", spec.transform.to_string()},
                   {"missing", missing_policy_name(spec.missing)},
                   {"mean", fitted.mean},
                   {"scale", fitted.scale}};
    if (spec.transform.clip_quantile) column["clip_value"] = fitted.clip_value;
    if (spec.missing == MissingPolicy::kMeanImpute) column["indicator"] = fitted.indicator;
    columns.push_back(std::move(column));
  }
  return {{"columns", std::move(columns)}, {"features", names_}};
}

TabularEncoder TabularEncoder::from_json(json const& json, std::string const& source) {
  auto const damaged = [&](std::string_view why) { fail_damaged(source, why); };
  try {
    if (!json.is_object() || !json.contains("columns") || !json["columns"].is_array() ||
        json["columns"].empty() || !json.contains("features") || !json["features"].is_array()) {
      damaged("expected {\"columns\": [...], \"features\": [...]} with at least one column");
    }
    std::vector<EncodedColumnSpec> specs;
    std::vector<Fitted> fitted_columns;
    auto const text = [&](nlohmann::json const& column, char const* key) {
      if (!column.contains(key) || !column[key].is_string()) {
        damaged(fmt::format("a column lacks a string '{}'", key));
      }
      return column[key].get<std::string>();
    };
    for (nlohmann::json const& column : json["columns"]) {
      if (!column.is_object()) damaged("a column is not an object");
      EncodedColumnSpec spec;
      Fitted fitted;
      spec.name = text(column, "name");
      auto const number = [&](char const* key) {
        if (!column.contains(key) || !column[key].is_number()) {
          damaged(fmt::format("column {} has no number '{}'", spec.name, key));
        }
        double const value = column[key].get<double>();
        if (!std::isfinite(value)) damaged(fmt::format("'{}' of {} is not finite", key, spec.name));
        return value;
      };
      std::string const type = text(column, "type");
      if (type == "categorical") {
        spec.type = ColumnType::kCategorical;
        if (!column.contains("max_levels") || !column["max_levels"].is_number_integer() ||
            !column.contains("levels") || !column["levels"].is_array()) {
          damaged(fmt::format("column {} lacks an integer 'max_levels' or a 'levels' array",
                              spec.name));
        }
        spec.max_levels = column["max_levels"].get<int>();
        for (nlohmann::json const& level : column["levels"]) {
          if (!level.is_string()) damaged(fmt::format("a level of {} is not a string", spec.name));
          fitted.levels.push_back(level.get<std::string>());
        }
        if (column.contains("encoding")) {
          if (text(column, "encoding") != "codes") {
            damaged(fmt::format("column {} has an unknown encoding", spec.name));
          }
          spec.level_codes = true;
        }
        if (fitted.levels.size() > static_cast<std::size_t>(std::max(spec.max_levels, 0))) {
          damaged(fmt::format("column {} has more levels than max_levels", spec.name));
        }
      } else if (type == "numeric") {
        spec.transform = ColumnTransform::parse(text(column, "transform"), spec.name);
        std::string const missing = text(column, "missing");
        if (missing != missing_policy_name(MissingPolicy::kError) &&
            missing != missing_policy_name(MissingPolicy::kMeanImpute) &&
            missing != missing_policy_name(MissingPolicy::kNative)) {
          damaged(fmt::format("column {} has an unknown missing policy '{}'", spec.name, missing));
        }
        spec.missing = missing == "error"    ? MissingPolicy::kError
                       : missing == "native" ? MissingPolicy::kNative
                                             : MissingPolicy::kMeanImpute;
        fitted.clip_value = spec.transform.clip_quantile ? number("clip_value") : kNoClip;
        fitted.mean = number("mean");
        fitted.scale = number("scale");
        if (fitted.scale <= 0.0) damaged(fmt::format("the scale of {} is not positive", spec.name));
        // Model files from before "indicator" always had one for mean_impute.
        fitted.indicator = spec.missing == MissingPolicy::kMeanImpute;
        if (column.contains("indicator")) {
          if (!column["indicator"].is_boolean() || spec.missing != MissingPolicy::kMeanImpute) {
            damaged(fmt::format("column {}: 'indicator' must be a boolean of a mean_impute column",
                                spec.name));
          }
          fitted.indicator = column["indicator"].get<bool>();
        }
      } else {
        damaged(fmt::format("column {} has an unknown type '{}'", spec.name, type));
      }
      specs.push_back(std::move(spec));
      fitted_columns.push_back(std::move(fitted));
    }
    TabularEncoder encoder(std::move(specs));
    encoder.names_ = feature_names_of(encoder.specs_, fitted_columns);
    if (json["features"] != nlohmann::json(encoder.names_)) {
      damaged("its 'features' list does not match its columns");
    }
    encoder.fitted_columns_ = std::move(fitted_columns);
    encoder.fitted_ = true;
    return encoder;
  } catch (Error const& error) {
    if (std::string_view(error.what()).starts_with("model file ")) throw;
    fail_damaged(source, error.what());
  }
}

}  // namespace cie
