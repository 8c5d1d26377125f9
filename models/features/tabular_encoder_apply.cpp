// TabularEncoder's encoding of table rows into the model's features (models/features/
// tabular_encoder.hpp); fitting, names and schema checks: tabular_encoder.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "models/features/encoder_columns.hpp"
#include "models/features/tabular_encoder.hpp"

namespace cie {

std::vector<float> TabularEncoder::apply(Context const& ctx, CustomerTable const& table) const {
  std::vector<float> out(table.rows() * names_.size());
  apply_rows(ctx, table, 0, table.rows(), out.data());
  return out;
}

void TabularEncoder::apply_rows(Context const& ctx, CustomerTable const& table, std::size_t begin,
                                std::size_t end, float* out) const {
  CIE_ASSERT(fitted_);
  CIE_ASSERT(begin <= end && end <= table.rows());
  check_schema(table, "(in memory)");
  std::size_t const rows = end - begin;
  auto const count = static_cast<std::ptrdiff_t>(rows);
  std::size_t feature = 0;
  for (std::size_t j = 0; j < specs_.size(); ++j) {
    EncodedColumnSpec const& spec = specs_[j];
    Fitted const& fitted = fitted_columns_[j];
    TableColumn const& column = *table.find(spec.name);
    if (spec.type == ColumnType::kCategorical) {
      // Table level code -> feature offset; unseen levels and missing values -> <other>.
      auto const other = static_cast<std::int32_t>(fitted.levels.size());
      std::unordered_map<std::string_view, std::int32_t> trained;
      for (std::size_t k = 0; k < fitted.levels.size(); ++k) {
        trained.emplace(fitted.levels[k], static_cast<std::int32_t>(k));
      }
      std::vector<std::int32_t> offset(column.levels.size(), other);
      for (std::size_t k = 0; k < column.levels.size(); ++k) {
        auto const found = trained.find(column.levels[k]);
        if (found != trained.end()) offset[k] = found->second;
      }
      float* const block = out + feature * rows;
      if (spec.level_codes) {
        for (std::size_t i = 0; i < rows; ++i) {
          std::int32_t const code = column.codes[begin + i];
          std::int32_t const k = code < 0 ? other : offset[static_cast<std::size_t>(code)];
          block[i] = k == other ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(k);
        }
        ++feature;
        continue;
      }
      std::fill_n(block, (fitted.levels.size() + 1) * rows, 0.0F);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
      for (std::ptrdiff_t i = 0; i < count; ++i) {
        std::int32_t const code = column.codes[begin + static_cast<std::size_t>(i)];
        std::int32_t const k = code < 0 ? other : offset[static_cast<std::size_t>(code)];
        block[static_cast<std::size_t>(k) * rows + static_cast<std::size_t>(i)] = 1.0F;
      }
      feature += fitted.levels.size() + 1;
      continue;
    }
    float const missing_value =
        spec.missing == MissingPolicy::kNative ? std::numeric_limits<float>::quiet_NaN() : 0.0F;
    if (spec.missing == MissingPolicy::kError) {
      std::size_t const row = encoder_detail::first_missing_row(column, begin, end);
      if (row < end) encoder_detail::fail_missing(table, spec.name, row);
    }
    float* const values = out + feature * rows;
    float* const indicator = fitted.indicator ? values + rows : nullptr;
    bool const transform = encoder_detail::transforms(spec, fitted.clip_value);
    // The first row whose log1p is undefined and the first beyond float32 once standardized.
    auto const [first_bad, first_huge] = encoder_detail::visit_numbers(column, [&](auto numbers) {
      std::size_t bad = table.rows(), huge = table.rows();
#pragma omp parallel for num_threads(ctx.threads()) schedule(static) reduction(min : bad, huge)
      for (std::ptrdiff_t i = 0; i < count; ++i) {
        auto const slot = static_cast<std::size_t>(i);
        std::size_t const row = begin + slot;
        bool const is_missing = numbers.is_missing(row);
        if (indicator != nullptr) indicator[slot] = is_missing ? 1.0F : 0.0F;
        values[slot] = missing_value;  // the training mean standardized, or NaN (native)
        if (is_missing) continue;
        double const value = transform
                                 ? spec.transform.apply(numbers.number(row), fitted.clip_value)
                                 : numbers.number(row);
        if (std::isnan(value)) {
          bad = std::min(bad, row);
          continue;
        }
        float const standardized = static_cast<float>((value - fitted.mean) / fitted.scale);
        if (!std::isfinite(standardized)) huge = std::min(huge, row);
        values[slot] = standardized;
      }
      return std::pair{bad, huge};
    });
    if (first_bad < first_huge) encoder_detail::fail_log1p(table, spec.name, first_bad);
    if (first_huge < table.rows()) {
      fail(ExitCode::kInputData,
           "column {}, {}: the value standardizes beyond the float32 range (training mean {}, "
           "scale {}); clip or log1p the column",
           spec.name, table.describe_row(first_huge), fitted.mean, fitted.scale);
    }
    feature += fitted.indicator ? 2 : 1;
  }
  CIE_ASSERT(feature == names_.size());
}

}  // namespace cie
