#include "python/src/propensity_training.hpp"

#include <nanobind/stl/string.h>
#include <set>
#include <span>
#include <utility>

#include "core/error.hpp"
#include "models/model_document.hpp"

namespace cie::python {

std::vector<EncodedColumnSpec> numeric_specs(std::vector<std::string> const& names,
                                             std::vector<std::string> const& transforms,
                                             std::string const& missing) {
  CIE_EXPECTS(transforms.size() == names.size(), "transforms: expected one per feature");
  CIE_EXPECTS(missing == "error" || missing == "mean_impute" || missing == "native",
              "missing: expected 'error', 'mean_impute' or 'native', got '{}'", missing);
  std::vector<EncodedColumnSpec> specs;
  for (std::size_t j = 0; j < names.size(); ++j) {
    EncodedColumnSpec spec;
    spec.name = names[j];
    spec.type = ColumnType::kNumeric;
    spec.transform = ColumnTransform::parse(transforms[j], names[j]);
    spec.missing = missing == "error"         ? MissingPolicy::kError
                   : missing == "mean_impute" ? MissingPolicy::kMeanImpute
                                              : MissingPolicy::kNative;
    specs.push_back(std::move(spec));
  }
  return specs;
}

void add_categorical_columns(CustomerTable& table, std::vector<CategoricalColumn> const& columns) {
  std::size_t const rows = table.rows();
  for (auto const& [name, codes, levels] : columns) {
    CIE_EXPECTS(codes.shape(0) == rows, "X: column '{}' has {} rows, the others {}", name,
                codes.shape(0), rows);
    CIE_EXPECTS(std::set<std::string>(levels.begin(), levels.end()).size() == levels.size(),
                "X: column '{}' has a level twice (as text)", name);
    TableColumn column;
    column.name = name;
    column.type = ColumnType::kCategorical;
    column.codes.resize(rows);
    column.missing.assign(rows, 0);
    std::vector<std::int32_t> renumbered(levels.size(), -1);
    std::int32_t const* given = codes.data();
    for (std::size_t i = 0; i < rows; ++i) {
      std::int32_t const code = given[i];
      CIE_EXPECTS(code >= -1 && code < static_cast<std::int64_t>(levels.size()),
                  "X: column '{}' has the category code {} at row {}, outside its {} levels", name,
                  code, i, levels.size());
      if (code < 0) {
        column.codes[i] = -1;
        column.missing[i] = 1;
        continue;
      }
      std::int32_t& level = renumbered[static_cast<std::size_t>(code)];
      if (level < 0) {
        level = static_cast<std::int32_t>(column.levels.size());
        column.levels.push_back(levels[static_cast<std::size_t>(code)]);
      }
      column.codes[i] = level;
    }
    table.columns.push_back(std::move(column));
  }
}

nb::dict train_propensity_file(MatrixOrColumns const& x, std::vector<std::string> const& names,
                               Vector const& y, std::optional<Vector> const& sample_weight,
                               std::vector<CategoricalColumn> const& categorical,
                               std::vector<EncodedColumnSpec> specs, PropensityParams params,
                               std::string const& target, std::string const& positive,
                               std::string const& device, int threads) {
  CIE_EXPECTS(y.shape(0) == input_rows(x), "y: expected {} labels, one per row of X, got {}",
              input_rows(x), y.shape(0));
  CIE_EXPECTS(!sample_weight || sample_weight->shape(0) == input_rows(x),
              "sample_weight: expected {} weights, one per row of X, got {}", input_rows(x),
              sample_weight ? sample_weight->shape(0) : 0);
  params.validation_fraction = 0.0;
  params.folds = 0;
  params.validate();
  Context ctx = make_context(device, threads, params.seed);
  std::string text;
  {
    nb::gil_scoped_release released;
    InterruptScope const interrupts = python_interrupts();
    CustomerTable table = matrix_table(x, names);
    add_categorical_columns(table, categorical);
    std::span<float const> weights;
    if (sample_weight) weights = {sample_weight->data(), sample_weight->shape(0)};
    PropensityTraining const trained = train_propensity(
        ctx, table, {y.data(), y.shape(0)}, std::move(specs), params, target, positive, weights);
    ModelDocument document = trained.model.to_document();
    document.params = params.to_json();
    document.params["inputs"] = nlohmann::json::array();
    document.params["weight_column"] = sample_weight ? "sample_weight" : "";
    document.training_metrics = {{"device", ctx.device_name()},
                                 {"training_rows", trained.training_rows},
                                 {"validation_rows", trained.validation_rows},
                                 {"training", trained.training.to_json()}};
    document.training_data = trained.training_data;
    text = model_file_text(document);
  }
  nb::dict out;
  out["model"] = text;
  out["device"] = ctx.device_name();
  return out;
}

}  // namespace cie::python
