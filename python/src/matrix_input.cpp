#include "python/src/matrix_input.hpp"

#include <cmath>
#include <cstdint>
#include <span>

#include "core/error.hpp"

namespace cie::python {
namespace {

void check_shape(Matrix const& x, std::vector<std::string> const& names) {
  bool const float32 = x.dtype() == nb::dtype<float>();
  bool const float64 = x.dtype() == nb::dtype<double>();
  if (!float32 && !float64) {
    throw nb::type_error("X: expected a float32 or float64 array (cie converts other inputs)");
  }
  CIE_EXPECTS(x.shape(1) == names.size(), "X has {} columns but {} feature names were given",
              x.shape(1), names.size());
}

/// Element (i, j) of x as a double.
template <typename T>
void copy_column_major(Matrix const& x, std::vector<double>& out) {
  auto const* data = static_cast<T const*>(x.data());
  std::size_t const rows = x.shape(0);
  std::size_t const cols = x.shape(1);
  std::int64_t const s0 = x.stride(0);
  std::int64_t const s1 = x.stride(1);
  out.resize(rows * cols);
  for (std::size_t j = 0; j < cols; ++j) {
    T const* column = data + static_cast<std::int64_t>(j) * s1;
    double* target = out.data() + j * rows;
    for (std::size_t i = 0; i < rows; ++i) target[i] = column[static_cast<std::int64_t>(i) * s0];
  }
}

bool is_f_contiguous(Matrix const& x) {
  return (x.shape(0) <= 1 || x.stride(0) == 1) &&
         (x.shape(1) <= 1 || x.stride(1) == static_cast<std::int64_t>(x.shape(0)));
}

/// Whether `column` (1-D) holds float64 values; a TypeError naming it unless float64 or float32.
bool is_float64_column(Column const& column, std::string const& name) {
  bool const float64 = column.dtype() == nb::dtype<double>();
  if (!float64 && column.dtype() != nb::dtype<float>()) {
    throw nb::type_error(("X: column '" + name + "': expected float32 or float64").c_str());
  }
  return float64;
}

/// A table of `rows` rows without columns (ids empty, line numbers 1, 2, ...).
CustomerTable empty_table(std::size_t rows) {
  CustomerTable table;
  table.source = "X";
  table.ids.resize(rows);
  table.line_numbers.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) table.line_numbers[i] = i + 1;
  return table;
}

/// The numeric column `name` of `rows` values, value i at data[i * stride]: borrowed when
/// contiguous (read in place), else copied once into float64 with NaN as a missing value.
template <typename T>
TableColumn numeric_column(std::string const& name, T const* data, std::size_t rows,
                           std::int64_t stride) {
  TableColumn column;
  column.name = name;
  column.type = ColumnType::kNumeric;
  if (rows <= 1 || stride == 1) {
    column.is_borrowed = true;
    column.borrowed = RawColumn(data, rows);
    return column;
  }
  column.numbers.resize(rows);
  column.missing.assign(rows, 0);
  for (std::size_t i = 0; i < rows; ++i) {
    double const value = static_cast<double>(data[static_cast<std::int64_t>(i) * stride]);
    bool const nan = std::isnan(value);
    column.numbers[i] = nan ? 0.0 : value;
    column.missing[i] = nan ? 1 : 0;
  }
  return column;
}

}  // namespace

std::unique_ptr<MatrixColumns> matrix_columns(Matrix const& x,
                                              std::vector<std::string> const& names) {
  check_shape(x, names);
  auto result = std::make_unique<MatrixColumns>();
  std::size_t const rows = x.shape(0);
  result->raw.rows = rows;
  if (is_f_contiguous(x) && x.dtype() == nb::dtype<float>()) {
    auto const* base = static_cast<float const*>(x.data());
    for (std::size_t j = 0; j < x.shape(1); ++j) {
      result->raw.columns.emplace_back(base + j * rows, rows);
    }
    return result;
  }
  double const* base = nullptr;
  if (is_f_contiguous(x)) {
    base = static_cast<double const*>(x.data());
  } else {
    if (x.dtype() == nb::dtype<float>()) {
      copy_column_major<float>(x, result->storage);
    } else {
      copy_column_major<double>(x, result->storage);
    }
    result->copied = true;
    base = result->storage.data();
  }
  for (std::size_t j = 0; j < x.shape(1); ++j) {
    result->raw.columns.emplace_back(base + j * rows, rows);
  }
  return result;
}

std::size_t input_rows(MatrixOrColumns const& x) {
  if (auto const* matrix = std::get_if<Matrix>(&x)) return matrix->shape(0);
  auto const& columns = std::get<std::vector<Column>>(x);
  return columns.empty() ? 0 : columns.front().shape(0);
}

std::unique_ptr<MatrixColumns> input_columns(MatrixOrColumns const& x,
                                             std::vector<std::string> const& names) {
  if (auto const* matrix = std::get_if<Matrix>(&x)) return matrix_columns(*matrix, names);
  auto const& columns = std::get<std::vector<Column>>(x);
  CIE_EXPECTS(columns.size() == names.size(), "X has {} columns but {} feature names were given",
              columns.size(), names.size());
  auto result = std::make_unique<MatrixColumns>();
  std::size_t const rows = input_rows(x);
  result->raw.rows = rows;
  result->column_storage.reserve(columns.size());
  for (std::size_t j = 0; j < columns.size(); ++j) {
    Column const& column = columns[j];
    CIE_EXPECTS(column.shape(0) == rows, "X: column '{}' has {} rows, the first column {}",
                names[j], column.shape(0), rows);
    bool const float64 = is_float64_column(column, names[j]);
    if (rows <= 1 || column.stride(0) == 1) {
      if (float64) {
        result->raw.columns.emplace_back(static_cast<double const*>(column.data()), rows);
      } else {
        result->raw.columns.emplace_back(static_cast<float const*>(column.data()), rows);
      }
      continue;
    }
    std::vector<double>& copy = result->column_storage.emplace_back(rows);
    std::int64_t const stride = column.stride(0);
    for (std::size_t i = 0; i < rows; ++i) {
      std::int64_t const at = static_cast<std::int64_t>(i) * stride;
      copy[i] = float64 ? static_cast<double const*>(column.data())[at]
                        : static_cast<double>(static_cast<float const*>(column.data())[at]);
    }
    result->copied = true;
    result->raw.columns.emplace_back(copy.data(), rows);
  }
  return result;
}

CustomerTable matrix_table(MatrixOrColumns const& x, std::vector<std::string> const& names) {
  std::size_t const rows = input_rows(x);
  CustomerTable table = empty_table(rows);
  if (auto const* matrix = std::get_if<Matrix>(&x)) {
    check_shape(*matrix, names);
    bool const float32 = matrix->dtype() == nb::dtype<float>();
    std::int64_t const s0 = matrix->stride(0);
    std::int64_t const s1 = matrix->stride(1);
    for (std::size_t j = 0; j < names.size(); ++j) {
      auto const offset = static_cast<std::int64_t>(j) * s1;
      table.columns.push_back(
          float32 ? numeric_column(names[j], static_cast<float const*>(matrix->data()) + offset,
                                   rows, s0)
                  : numeric_column(names[j], static_cast<double const*>(matrix->data()) + offset,
                                   rows, s0));
    }
    return table;
  }
  auto const& columns = std::get<std::vector<Column>>(x);
  CIE_EXPECTS(columns.size() == names.size(), "X has {} columns but {} feature names were given",
              columns.size(), names.size());
  for (std::size_t j = 0; j < columns.size(); ++j) {
    Column const& column = columns[j];
    CIE_EXPECTS(column.shape(0) == rows, "X: column '{}' has {} rows, the first column {}",
                names[j], column.shape(0), rows);
    table.columns.push_back(is_float64_column(column, names[j])
                                ? numeric_column(names[j],
                                                 static_cast<double const*>(column.data()), rows,
                                                 column.stride(0))
                                : numeric_column(names[j], static_cast<float const*>(column.data()),
                                                 rows, column.stride(0)));
  }
  return table;
}

std::vector<std::size_t> input_addresses(MatrixOrColumns const& x) {
  std::size_t const cols = std::holds_alternative<Matrix>(x)
                               ? std::get<Matrix>(x).shape(1)
                               : std::get<std::vector<Column>>(x).size();
  std::vector<std::string> names(cols);
  for (std::size_t j = 0; j < cols; ++j) names[j] = "x" + std::to_string(j);
  std::unique_ptr<MatrixColumns> const columns = input_columns(x, names);
  std::vector<std::size_t> addresses;
  for (auto const& column : columns->raw.columns) {
    addresses.push_back(reinterpret_cast<std::size_t>(column.data()));
  }
  return addresses;
}

std::vector<std::size_t> table_addresses(MatrixOrColumns const& x) {
  std::vector<std::string> names(std::holds_alternative<Matrix>(x)
                                     ? std::get<Matrix>(x).shape(1)
                                     : std::get<std::vector<Column>>(x).size());
  CustomerTable const table = matrix_table(x, names);
  std::vector<std::size_t> addresses;
  for (TableColumn const& column : table.columns) {
    addresses.push_back(reinterpret_cast<std::size_t>(column.is_borrowed ? column.borrowed.data()
                                                                         : column.numbers.data()));
  }
  return addresses;
}

std::size_t matrix_address(Matrix const& x) {
  std::vector<std::string> names(x.shape(1));
  std::unique_ptr<MatrixColumns> const columns = matrix_columns(x, names);
  return columns->raw.columns.empty()
             ? 0
             : reinterpret_cast<std::size_t>(columns->raw.columns.front().data());
}

}  // namespace cie::python
