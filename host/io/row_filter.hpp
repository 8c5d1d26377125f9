// Row filters: a small expression language over a CustomerTable's columns, so that training or
// scoring on a subset of customers needs no awk (`cie propensity train --where 'segment != "No
// E-Mail"'`).
//
//   expression := or
//   or         := and ( ("or" | "||") and )*
//   and        := not ( ("and" | "&&") not )*
//   not        := ("not" | "!") not | "(" expression ")" | comparison
//   comparison := operand ("==" | "!=" | "<" | "<=" | ">" | ">=") operand
//   operand    := column | number | string
//   column     := [A-Za-z_][A-Za-z0-9_.]*  (not a keyword) | `any name` (backquotes)
//   number     := [+-]? digits [. digits] [e [+-] digits]    (or [+-]? . digits ...)
//   string     := "..." | '...'   (\" \' \\ escape the quote and the backslash)
//
// Keywords (and, or, not) are case-insensitive; "and" binds tighter than "or". A numeric column is
// compared with numbers or numeric columns, a categorical column with strings or categorical
// columns (strings compare byte by byte, so ISO dates order as dates). A missing value satisfies
// no comparison, != included (`x != 3` keeps no row where x is missing; `not x == 3` keeps them).
//
// Errors are usage errors (exit 2) that name the option (`label`), the expression and the
// 1-based character column in it: a syntax error, an unknown column, a column compared with the
// wrong kind of value. They contain no value of the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/customer_table.hpp"

namespace cie {

class RowFilter {
 public:
  /// Parses `expression` (a usage error naming `label`, e.g. "--where", on bad syntax).
  RowFilter(std::string expression, std::string label);

  /// keep[i] is 1 where row i satisfies the expression. Usage errors for an unknown column or a
  /// comparison of a column with the wrong kind of value. O(rows × comparisons).
  [[nodiscard]] std::vector<std::uint8_t> evaluate(CustomerTable const& table) const;

  /// The rows of `table` that satisfy the expression, in order (select_rows).
  [[nodiscard]] CustomerTable apply(CustomerTable const& table) const;

  [[nodiscard]] std::string const& expression() const noexcept { return expression_; }

  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  struct Operand {
    enum class Kind { kColumn, kNumber, kString } kind = Kind::kNumber;
    std::string text;        ///< column name or string value
    double number = 0.0;     ///< kNumber
    std::size_t column = 0;  ///< 1-based position in the expression, for messages
  };
  struct Node {
    enum class Kind { kOr, kAnd, kNot, kCompare } kind = Kind::kCompare;
    int left = -1;   ///< kOr, kAnd, kNot: child node
    int right = -1;  ///< kOr, kAnd
    Op op = Op::kEq;
    Operand a, b;  ///< kCompare
  };

 private:
  /// Parses `text` into `nodes` and returns the root; `fail(column, reason)` must throw.
  static int parse_into(std::string_view text, std::vector<Node>& nodes,
                        std::function<void(std::size_t, std::string const&)> const& fail);
  [[noreturn]] void fail_at(std::size_t column, std::string const& reason) const;
  void evaluate_node(CustomerTable const& table, int node, std::vector<std::uint8_t>& out) const;
  void compare(CustomerTable const& table, Node const& node, std::vector<std::uint8_t>& out) const;

  std::string expression_;
  std::string label_;
  std::vector<Node> nodes_;
  int root_ = -1;
};

}  // namespace cie
