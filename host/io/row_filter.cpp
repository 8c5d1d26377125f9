#include "host/io/row_filter.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/error.hpp"

namespace cie {
namespace {

using Op = RowFilter::Op;
using Operand = RowFilter::Operand;
using Node = RowFilter::Node;

/// a op b becomes b flip(op) a.
Op flipped(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

template <typename T>
bool holds(Op op, T const& a, T const& b) {
  switch (op) {
    case Op::kEq:
      return a == b;
    case Op::kNe:
      return a != b;
    case Op::kLt:
      return a < b;
    case Op::kLe:
      return a <= b;
    case Op::kGt:
      return a > b;
    case Op::kGe:
      return a >= b;
  }
  return false;
}

}  // namespace

RowFilter::RowFilter(std::string expression, std::string label)
    : expression_(std::move(expression)), label_(std::move(label)) {
  if (std::all_of(expression_.begin(), expression_.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; })) {
    fail_at(1, "the expression is empty");
  }
  root_ = parse_into(expression_, nodes_, [this](std::size_t column, std::string const& reason) {
    fail_at(column, reason);
  });
}

void RowFilter::fail_at(std::size_t column, std::string const& reason) const {
  fail(ExitCode::kUsage, "{} '{}': column {}: {}", label_, expression_, column, reason);
}

std::vector<std::uint8_t> RowFilter::evaluate(CustomerTable const& table) const {
  std::vector<std::uint8_t> out(table.rows(), 0);
  evaluate_node(table, root_, out);
  return out;
}

CustomerTable RowFilter::apply(CustomerTable const& table) const {
  std::vector<std::uint8_t> const keep = evaluate(table);
  std::vector<std::size_t> rows;
  for (std::size_t row = 0; row < keep.size(); ++row) {
    if (keep[row] != 0) rows.push_back(row);
  }
  return select_rows(table, rows);
}

void RowFilter::evaluate_node(CustomerTable const& table, int index,
                              std::vector<std::uint8_t>& out) const {
  Node const& node = nodes_[static_cast<std::size_t>(index)];
  if (node.kind == Node::Kind::kCompare) {
    compare(table, node, out);
    return;
  }
  evaluate_node(table, node.left, out);
  if (node.kind == Node::Kind::kNot) {
    for (std::uint8_t& value : out) value = value != 0 ? 0 : 1;
    return;
  }
  std::vector<std::uint8_t> right(out.size(), 0);
  evaluate_node(table, node.right, right);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = node.kind == Node::Kind::kAnd ? (out[i] & right[i]) : (out[i] | right[i]);
  }
}

void RowFilter::compare(CustomerTable const& table, Node const& node,
                        std::vector<std::uint8_t>& out) const {
  Operand a = node.a, b = node.b;
  Op op = node.op;
  if (a.kind != Operand::Kind::kColumn && b.kind == Operand::Kind::kColumn) {
    std::swap(a, b);
    op = flipped(op);
  }
  auto const column_of = [&](Operand const& operand) -> TableColumn const& {
    TableColumn const* column = table.find(operand.text);
    if (column == nullptr) {
      std::vector<std::string> names;
      for (TableColumn const& c : table.columns) names.push_back(c.name);
      fail_at(operand.column, fmt::format("unknown column '{}'; the columns are: {}", operand.text,
                                          fmt::join(names, ", ")));
    }
    return *column;
  };
  auto const kind_name = [](Operand const& operand) {
    return operand.kind == Operand::Kind::kNumber ? "a number" : "a string";
  };
  if (a.kind != Operand::Kind::kColumn) {  // two values: the same for every row
    if (a.kind != b.kind) {
      fail_at(b.column, fmt::format("compares {} with {}", kind_name(a), kind_name(b)));
    }
    bool const value = a.kind == Operand::Kind::kNumber ? holds(op, a.number, b.number)
                                                        : holds(op, a.text, b.text);
    std::fill(out.begin(), out.end(), value ? 1 : 0);
    return;
  }
  TableColumn const& left = column_of(a);
  bool const numeric = left.type == ColumnType::kNumeric;
  auto const mismatch = [&](Operand const& operand, std::string_view what) {
    fail_at(operand.column, fmt::format("column '{}' is {}: compare it with {}, not {}", a.text,
                                        numeric ? "numeric" : "categorical (text)",
                                        numeric ? "a number or a numeric column"
                                                : "a string in quotes or a categorical column",
                                        what));
  };
  std::size_t const rows = table.rows();
  if (b.kind == Operand::Kind::kColumn) {
    TableColumn const& right = column_of(b);
    if (right.type != left.type) {
      mismatch(b, fmt::format("the {} column '{}'", numeric ? "categorical" : "numeric", b.text));
    }
    for (std::size_t i = 0; i < rows; ++i) {
      if (left.missing[i] != 0 || right.missing[i] != 0) {
        out[i] = 0;
      } else if (numeric) {
        out[i] = holds(op, left.numbers[i], right.numbers[i]) ? 1 : 0;
      } else {
        std::string_view const x = left.levels[static_cast<std::size_t>(left.codes[i])];
        std::string_view const y = right.levels[static_cast<std::size_t>(right.codes[i])];
        out[i] = holds(op, x, y) ? 1 : 0;
      }
    }
    return;
  }
  if (numeric != (b.kind == Operand::Kind::kNumber)) {
    mismatch(b, numeric ? "a string" : "a number");  // no value quoted: it may be a customer's
  }
  if (numeric) {
    for (std::size_t i = 0; i < rows; ++i) {
      out[i] = left.missing[i] == 0 && holds(op, left.numbers[i], b.number) ? 1 : 0;
    }
    return;
  }
  std::vector<std::uint8_t> level_holds(left.levels.size());
  for (std::size_t k = 0; k < left.levels.size(); ++k) {
    level_holds[k] = holds(op, std::string_view(left.levels[k]), std::string_view(b.text)) ? 1 : 0;
  }
  for (std::size_t i = 0; i < rows; ++i) {
    std::int32_t const code = left.codes[i];
    out[i] = code >= 0 ? level_holds[static_cast<std::size_t>(code)] : 0;
  }
}

}  // namespace cie
