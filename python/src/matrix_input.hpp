// Feature matrices from Python: a 2-D float32 or float64 numpy array (C or F order, any strides),
// or a list of 1-D columns (numpy views of Arrow buffers: pyarrow, polars, pandas with Arrow
// dtypes), as the engine's inputs: RawColumns (one float64 or float32 column per feature) for the
// feature pipeline of k-means, a CustomerTable for the propensity model's encoder.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/customer_table.hpp"
#include "core/feature_matrix.hpp"
#include "python/src/support.hpp"

namespace cie::python {

/// Any 2-D array on the CPU; the dtype is checked by the functions below (float32 or float64).
using Matrix = nb::ndarray<nb::ndim<2>, nb::device::cpu, nb::ro>;

/// The columns of `x` as RawColumns. A float64 or float32 array in F order is read in place (no
/// copy: float32 columns are RawColumn's float32 views); anything else (C order, other strides)
/// is copied into a column-major double buffer owned by the result. A TypeError for another
/// dtype. `names` (one per column) only have to match in number.
struct MatrixColumns {
  std::vector<double> storage;
  std::vector<std::vector<double>> column_storage;  ///< copies of list columns that needed one
  RawColumns raw;
  bool copied = false;
};
std::unique_ptr<MatrixColumns> matrix_columns(Matrix const& x,
                                              std::vector<std::string> const& names);

/// One feature column (1-D, float32 or float64, any stride).
using Column = nb::ndarray<nb::ndim<1>, nb::device::cpu, nb::ro>;
/// A matrix, or its columns one by one (they need not be adjacent in memory).
using MatrixOrColumns = std::variant<Matrix, std::vector<Column>>;

/// The rows of `x` (of its first column; every column must have as many: a usage error).
std::size_t input_rows(MatrixOrColumns const& x);

/// The columns of `x` as RawColumns: a matrix as matrix_columns; each column of a list that is
/// float64 or float32 with unit stride is read in place (no copy), any other is copied into
/// float64.
std::unique_ptr<MatrixColumns> input_columns(MatrixOrColumns const& x,
                                             std::vector<std::string> const& names);

/// The addresses of the first element the engine reads of each column of `x` (zero-copy tests).
std::vector<std::size_t> input_addresses(MatrixOrColumns const& x);

/// `x` as a CustomerTable of numeric columns named `names`; NaN is a missing value (the
/// encoder's missing policy decides), ±Inf is kept (the encoder rejects it, naming the column).
/// Each contiguous float64 or float32 column (of an array in F order, or of the list: Arrow
/// buffers) is read in place (a borrowed column: `x` must outlive the table); any other layout
/// is copied once into a float64 column. Errors as input_columns'.
CustomerTable matrix_table(MatrixOrColumns const& x, std::vector<std::string> const& names);

/// The address of each column's values in matrix_table(x) (zero-copy tests).
std::vector<std::size_t> table_addresses(MatrixOrColumns const& x);

/// The address of the first element the engine reads for `x` (tests prove zero copies with it).
std::size_t matrix_address(Matrix const& x);

}  // namespace cie::python
