// The propensity model's training as the Python classifiers run it (logistic regression and
// gradient-boosted trees): train_propensity on every row of a numpy matrix (no hold-out, no
// calibration), and the model file's text with the params, training metrics and fingerprint
// that `cie propensity train` writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "models/features/tabular_encoder.hpp"
#include "models/propensity/propensity.hpp"
#include "python/src/matrix_input.hpp"
#include "python/src/support.hpp"

namespace cie::python {

using Vector = nb::ndarray<float const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

/// Numeric column specs, one per name: transform specs ("none", "log1p", ...) and the missing
/// policy ("error" | "mean_impute" | "native").
std::vector<EncodedColumnSpec> numeric_specs(std::vector<std::string> const& names,
                                             std::vector<std::string> const& transforms,
                                             std::string const& missing);

/// One categorical column from Python (pandas Categorical, Arrow dictionary): its name, its codes
/// (int32, one per row, -1 = missing) into its levels (as text).
using Codes = nb::ndarray<std::int32_t const, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using CategoricalColumn = std::tuple<std::string, Codes, std::vector<std::string>>;

/// Appends `columns` to `table` as the CLI's reader makes a categorical column: levels in the
/// order of their first appearance in the rows (so an encoder fitted on them equals the CLI's),
/// codes into them, missing where -1. A code outside [-1, levels), a repeated level or a column
/// of another length is a usage error (ValueError) naming the column.
void add_categorical_columns(CustomerTable& table, std::vector<CategoricalColumn> const& columns);

/// Trains (GIL released) and returns {"model": the model file's text, "device": name}.
nb::dict train_propensity_file(MatrixOrColumns const& x, std::vector<std::string> const& names,
                               Vector const& y, std::optional<Vector> const& sample_weight,
                               std::vector<CategoricalColumn> const& categorical,
                               std::vector<EncodedColumnSpec> specs, PropensityParams params,
                               std::string const& target, std::string const& positive,
                               std::string const& device, int threads);

}  // namespace cie::python
