#include "host/io/transactions_layout.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace cie {
namespace {

constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "id column", "date column", "amount column", "quantity column", "price column", "order column"};

std::size_t resolve_column(std::string const& column, Role role, ColumnLayout const& layout,
                           bool has_header, std::string const& source, std::size_t line_number) {
  std::string_view const role_name = kRoleNames[index_of(role)];
  if (has_header) {
    auto const found = std::find(layout.names.begin(), layout.names.end(), column);
    if (found != layout.names.end()) {
      auto const field = static_cast<std::size_t>(found - layout.names.begin());
      // Which of two equally named columns is meant cannot be told: refused, as the
      // customer-table reader does.
      auto const again = std::find(found + 1, layout.names.end(), column);
      if (again != layout.names.end()) {
        fail(ExitCode::kInputData,
             "{}:{}: column {} ({}): the header names the {} twice (columns {} and {})", source,
             line_number, field + 1, column, role_name, field + 1,
             static_cast<std::size_t>(again - layout.names.begin()) + 1);
      }
      return field;
    }
  }
  // Nine digits at most: a longer "position" is no position and must not overflow.
  bool const is_position =
      !column.empty() && column.size() <= 9 &&
      std::all_of(column.begin(), column.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (is_position) {
    std::size_t const position = std::stoul(column);
    CIE_EXPECTS(position >= 1 && position <= layout.field_count,
                "{}: {} {} is out of range: the {} has {} fields", source, role_name, column,
                has_header ? "header" : "first line", layout.field_count);
    return position - 1;
  }
  if (has_header) {
    fail(ExitCode::kUsage, "{}: {} '{}' is not in the header; its columns are: {}", source,
         role_name, column, describe_header(layout.names));
  }
  fail(ExitCode::kUsage, "{}: {} '{}' must be a 1-based position since the file has no header",
       source, role_name, column);
}

}  // namespace

std::string ColumnLayout::column_name(std::size_t field) const {
  return field < names.size() ? names[field] : fmt::format("#{}", field + 1);
}

ColumnLayout make_layout(std::string_view first_line, std::size_t line_number,
                         LineSplitter const& splitter, TransactionsFormat const& format,
                         std::string const& source) {
  ColumnLayout layout;
  std::string buffer;
  SplitResult const split = splitter.split(first_line, [&](std::size_t, Field const& field) {
    if (format.has_header) layout.names.emplace_back(unescape(field, buffer));
  });
  if (format.has_header && split.error != SplitError::kNone) {
    fail(ExitCode::kInputData, "{}:{}: header column {}: {}", source, line_number,
         split.field_count, describe(split.error));
  }
  layout.field_count = split.field_count;
  for (std::size_t field = layout.names.size(); field < layout.field_count; ++field) {
    layout.names.push_back(fmt::format("#{}", field + 1));
  }

  layout.amount_is_product = !format.quantity_column.empty() && !format.price_column.empty();
  std::vector<std::pair<Role, std::string const*>> wanted = {{Role::kId, &format.id_column},
                                                             {Role::kDate, &format.date_column}};
  if (layout.amount_is_product) {
    wanted.emplace_back(Role::kQuantity, &format.quantity_column);
    wanted.emplace_back(Role::kPrice, &format.price_column);
  } else {
    wanted.emplace_back(Role::kAmount, &format.amount_column);
  }
  layout.has_order = !format.order_column.empty();
  if (layout.has_order) wanted.emplace_back(Role::kOrder, &format.order_column);
  layout.role_of_field.assign(layout.field_count, -1);
  for (auto const& [role, column] : wanted) {
    std::size_t const field =
        resolve_column(*column, role, layout, format.has_header, source, line_number);
    std::int8_t& taken = layout.role_of_field[field];
    if (taken >= 0) {
      fail(ExitCode::kUsage, "{}: the {} and the {} are both column {} ({})", source,
           kRoleNames[static_cast<std::size_t>(taken)], kRoleNames[index_of(role)], field + 1,
           layout.names[field]);
    }
    taken = static_cast<std::int8_t>(index_of(role));
    layout.field_of_role[index_of(role)] = field;
    layout.roles_in_field_order.push_back(role);
  }
  std::sort(layout.roles_in_field_order.begin(), layout.roles_in_field_order.end(),
            [&](Role a, Role b) {
              return layout.field_of_role[index_of(a)] < layout.field_of_role[index_of(b)];
            });
  return layout;
}

void set_bad_rows(TransactionsFormat& format, std::string_view text, std::string_view setting) {
  if (text == "fail") {
    format.bad_rows = BadRowPolicy::kFail;
  } else if (text == "skip") {
    format.bad_rows = BadRowPolicy::kSkip;
  } else if (text.starts_with("quarantine=") && text.size() > 11) {
    format.bad_rows = BadRowPolicy::kQuarantine;
    format.quarantine_path = std::string(text.substr(11));
  } else {
    fail(ExitCode::kUsage, "{}: expected fail, skip or quarantine=FILE, got '{}'", setting, text);
  }
}

void set_returns(TransactionsFormat& format, std::string_view text, std::string_view setting) {
  if (text == "net") {
    format.returns = ReturnsPolicy::kNet;
  } else if (text == "exclude") {
    format.returns = ReturnsPolicy::kExclude;
  } else {
    fail(ExitCode::kUsage, "{}: expected net or exclude, got '{}'", setting, text);
  }
}

}  // namespace cie
