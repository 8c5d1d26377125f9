// Where the needed columns of a transactions file are: TransactionsFormat's column names or
// 1-based positions resolved against the header, or against the first data line when there is
// no header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/io/delimited_text.hpp"
#include "host/io/transactions_reader.hpp"

namespace cie {

/// What a needed column is read as; indexes per-row field arrays.
enum class Role : std::uint8_t { kId, kDate, kAmount, kQuantity, kPrice, kOrder };
constexpr std::size_t kRoleCount = 6;

constexpr std::size_t index_of(Role role) noexcept { return static_cast<std::size_t>(role); }

struct ColumnLayout {
  std::size_t field_count = 0;             ///< fields every row must have
  std::vector<std::string> names;          ///< per field: header name, or "#N" without a header
  std::vector<std::int8_t> role_of_field;  ///< per field: index_of(Role) it is read as, or -1
  std::array<std::size_t, kRoleCount> field_of_role{};  ///< 0-based field per role read
  std::vector<Role> roles_in_field_order;  ///< the roles read, in the order a row is checked
  bool amount_is_product = false;          ///< amount = quantity × price
  bool has_order = false;                  ///< an order (invoice) id column is read

  /// The name of a field in messages: its header name, or "#N".
  [[nodiscard]] std::string column_name(std::size_t field) const;
};

/// Resolves the columns of `format` against `first_line` (the header when format.has_header).
/// A usage error (exit 2) for a column not in the header (the message lists the header's
/// columns), a position out of range, a name without a header, or two roles on one column; a
/// data error (exit 3) for a header with a broken quote.
ColumnLayout make_layout(std::string_view first_line, std::size_t line_number,
                         LineSplitter const& splitter, TransactionsFormat const& format,
                         std::string const& source);

}  // namespace cie
