#include "models/features/tabular_encoder.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/error.hpp"
#include "models/features/encoder_columns.hpp"

namespace cie {
namespace {

using encoder_detail::fail_log1p;
using encoder_detail::fail_missing;
using encoder_detail::first_missing_row;
using encoder_detail::transforms;
using encoder_detail::visit_numbers;
using nlohmann::json;

constexpr std::string_view kOtherLevel = "<other>";

/// What stands between a table and the encoder's columns.
struct SchemaProblems {
  std::vector<std::string> missing;
  std::vector<std::string> mismatched;
  std::vector<std::string> extra;

  [[nodiscard]] bool blocking() const { return !missing.empty() || !mismatched.empty(); }
  [[nodiscard]] std::string describe() const {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(fmt::format("missing: {}", fmt::join(missing, ", ")));
    if (!mismatched.empty()) {
      parts.push_back(fmt::format("type differs: {}", fmt::join(mismatched, ", ")));
    }
    if (!extra.empty()) {
      parts.push_back(fmt::format("extra (not used): {}", fmt::join(extra, ", ")));
    }
    return fmt::format("{}", fmt::join(parts, "; "));
  }
};

SchemaProblems compare_schema(std::vector<EncodedColumnSpec> const& specs,
                              CustomerTable const& table) {
  SchemaProblems problems;
  for (EncodedColumnSpec const& spec : specs) {
    TableColumn const* const column = table.find(spec.name);
    if (column == nullptr) {
      problems.missing.push_back(spec.name);
    } else if (column->type != spec.type) {
      problems.mismatched.push_back(fmt::format("{} ({} in the model, {} in the table)", spec.name,
                                                column_type_name(spec.type),
                                                column_type_name(column->type)));
    }
  }
  for (TableColumn const& column : table.columns) {
    auto const used = std::any_of(specs.begin(), specs.end(), [&](EncodedColumnSpec const& spec) {
      return spec.name == column.name;
    });
    if (!used) problems.extra.push_back(column.name);
  }
  return problems;
}

/// The row of the present value number `k` (from 0) of `column` (kNumeric); it must exist.
std::size_t present_row(TableColumn const& column, std::size_t k) {
  return visit_numbers(column, [&](auto numbers) {
    std::size_t row = 0;
    for (std::size_t seen = 0;; ++row) {
      if (!numbers.is_missing(row) && seen++ == k) return row;
    }
  });
}

}  // namespace

std::string_view column_type_name(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

std::string_view missing_policy_name(MissingPolicy policy) {
  return policy == MissingPolicy::kError        ? "error"
         : policy == MissingPolicy::kMeanImpute ? "mean_impute"
                                                : "native";
}

std::vector<EncodedColumnSpec> TabularEncoder::default_specs(CustomerTable const& table) {
  std::vector<EncodedColumnSpec> specs;
  for (TableColumn const& column : table.columns) {
    EncodedColumnSpec spec;
    spec.name = column.name;
    spec.type = column.type;
    specs.push_back(std::move(spec));
  }
  return specs;
}

TabularEncoder::TabularEncoder(std::vector<EncodedColumnSpec> specs) : specs_(std::move(specs)) {
  CIE_EXPECTS(!specs_.empty(), "a tabular encoder needs at least one column");
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    EncodedColumnSpec const& spec = specs_[j];
    CIE_EXPECTS(!spec.name.empty(), "encoder column {} has an empty name", j + 1);
    CIE_EXPECTS(spec.type == ColumnType::kNumeric || spec.max_levels >= 1,
                "column {}: max_levels must be >= 1, got {}", spec.name, spec.max_levels);
    CIE_EXPECTS(!spec.level_codes || spec.max_levels <= 255,
                "column {}: level codes keep at most 255 levels, max_levels is {}", spec.name,
                spec.max_levels);
    for (std::size_t other = 0; other < j; ++other) {
      CIE_EXPECTS(specs_[other].name != spec.name, "encoder column {} is listed twice", spec.name);
    }
  }
}

std::vector<std::int32_t> TabularEncoder::level_code_features() const {
  CIE_ASSERT(fitted_);
  std::vector<std::int32_t> out;
  std::int32_t feature = 0;
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    EncodedColumnSpec const& spec = specs_[j];
    if (spec.type == ColumnType::kNumeric) {
      feature += fitted_columns_[j].indicator ? 2 : 1;
    } else if (spec.level_codes) {
      out.push_back(feature++);
    } else {
      feature += static_cast<std::int32_t>(fitted_columns_[j].levels.size()) + 1;
    }
  }
  return out;
}

std::vector<std::string> TabularEncoder::input_columns() const {
  std::vector<std::string> names;
  for (EncodedColumnSpec const& spec : specs_) names.push_back(spec.name);
  return names;
}

void TabularEncoder::fit(Context const& /*ctx*/, CustomerTable const& training) {
  SchemaProblems const problems = compare_schema(specs_, training);
  CIE_EXPECTS(!problems.blocking(), "{}: cannot fit the encoder: {}", training.source,
              problems.describe());
  CIE_EXPECTS_DATA(training.rows() > 0, "{}: no rows to fit the encoder on", training.source);
  fitted_columns_.assign(specs_.size(), Fitted{});
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    EncodedColumnSpec const& spec = specs_[j];
    TableColumn const& column = *training.find(spec.name);
    Fitted& fitted = fitted_columns_[j];
    if (spec.type == ColumnType::kCategorical) {
      // Levels by training count, most frequent first, ties by first appearance in these rows.
      std::vector<std::size_t> count(column.levels.size(), 0);
      std::vector<std::size_t> first_row(column.levels.size(), training.rows());
      for (std::size_t row = 0; row < training.rows(); ++row) {
        std::int32_t const code = column.codes[row];
        if (code < 0) continue;
        auto const level = static_cast<std::size_t>(code);
        if (count[level]++ == 0) first_row[level] = row;
      }
      std::vector<std::size_t> order(column.levels.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::erase_if(order, [&](std::size_t level) { return count[level] == 0; });
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return count[a] != count[b] ? count[a] > count[b] : first_row[a] < first_row[b];
      });
      order.resize(std::min(order.size(), static_cast<std::size_t>(spec.max_levels)));
      for (std::size_t const level : order) fitted.levels.push_back(column.levels[level]);
      continue;
    }
    std::size_t const rows = training.rows();
    std::size_t const first_missing = first_missing_row(column, 0, rows);
    if (spec.missing == MissingPolicy::kError && first_missing < rows) {
      fail_missing(training, spec.name, first_missing);
    }
    fitted.indicator = spec.missing == MissingPolicy::kMeanImpute && first_missing < rows;
    // The present values in row order (each value written, the slot kept unless missing), then
    // transformed in place.
    std::vector<double> values(rows);
    std::size_t const present = visit_numbers(column, [&](auto numbers) {
      std::size_t next = 0;
      for (std::size_t row = 0; row < rows; ++row) {
        values[next] = numbers.number(row);
        next += numbers.is_missing(row) ? 0 : 1;
      }
      return next;
    });
    values.resize(present);
    CIE_EXPECTS_DATA(!values.empty(), "{}: column {} has no values to fit on (all {} missing)",
                     training.source, spec.name, rows);
    if (spec.transform.clip_quantile) {
      std::vector<double> scratch = values;
      fitted.clip_value = spec.transform.fit_clip_value(scratch);
    } else {
      fitted.clip_value = kNoClip;
    }
    for (std::size_t k = 0; transforms(spec, fitted.clip_value) && k < values.size(); ++k) {
      values[k] = spec.transform.apply(values[k], fitted.clip_value);
      if (std::isnan(values[k])) fail_log1p(training, spec.name, present_row(column, k));
    }
    Standardization const standardization = fit_standardization(values);
    fitted.mean = standardization.mean;
    fitted.scale = standardization.scale;
  }
  names_ = feature_names_of(specs_, fitted_columns_);
  fitted_ = true;
}

std::vector<std::string> TabularEncoder::feature_names_of(
    std::vector<EncodedColumnSpec> const& specs, std::vector<Fitted> const& fitted) {
  std::vector<std::string> names;
  for (std::size_t j = 0; j < specs.size(); ++j) {
    std::string const& name = specs[j].name;
    if (specs[j].type == ColumnType::kNumeric) {
      names.push_back(name);
      if (fitted[j].indicator) names.push_back(name + "__missing");
      continue;
    }
    if (specs[j].level_codes) {
      names.push_back(name);
      continue;
    }
    for (std::string const& level : fitted[j].levels) names.push_back(name + "=" + level);
    names.push_back(fmt::format("{}={}", name, kOtherLevel));
  }
  std::unordered_set<std::string_view> seen;
  for (std::string const& name : names) {
    CIE_EXPECTS_DATA(seen.insert(name).second,
                     "two features would both be called '{}'; rename a column or a level", name);
  }
  return names;
}

void TabularEncoder::check_schema(CustomerTable const& table,
                                  std::string const& model_source) const {
  SchemaProblems const problems = compare_schema(specs_, table);
  if (problems.blocking()) {
    fail(ExitCode::kUsage, "model file {}: the columns of {} do not match the model: {}",
         model_source, table.source, problems.describe());
  }
}

void TabularEncoder::warn_unseen_levels(Context const& ctx, CustomerTable const& table) const {
  CIE_ASSERT(fitted_);
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    if (specs_[j].type != ColumnType::kCategorical) continue;
    TableColumn const* column = table.find(specs_[j].name);
    if (column == nullptr || column->type != ColumnType::kCategorical) continue;
    std::unordered_set<std::string_view> const seen(fitted_columns_[j].levels.begin(),
                                                    fitted_columns_[j].levels.end());
    std::vector<std::uint8_t> unseen(column->levels.size());
    for (std::size_t level = 0; level < column->levels.size(); ++level) {
      unseen[level] = seen.contains(column->levels[level]) ? 0 : 1;
    }
    std::size_t present = 0, unseen_rows = 0;
    for (std::int32_t const code : column->codes) {
      if (code < 0) continue;
      ++present;
      unseen_rows += unseen[static_cast<std::size_t>(code)];
    }
    if (present > 0 && 2 * unseen_rows > present) {
      ctx.logger().warn(
          "{}: column {}: {} of {} values ({:.1f}%) are levels the model never saw in training "
          "and score as {}{}; is the column coded differently from the training data?",
          table.source, specs_[j].name, unseen_rows, present,
          100.0 * static_cast<double>(unseen_rows) / static_cast<double>(present), specs_[j].name,
          specs_[j].level_codes ? " missing" : "=<other>");
    }
  }
}

}  // namespace cie
