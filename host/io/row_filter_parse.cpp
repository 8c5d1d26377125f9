// RowFilter's lexer and recursive-descent parser (host/io/row_filter.hpp has the grammar).
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <functional>
#include <utility>

#include "host/io/row_filter.hpp"

namespace cie {
namespace {

using Op = RowFilter::Op;
using Operand = RowFilter::Operand;
using Node = RowFilter::Node;

enum class Token { kColumn, kNumber, kString, kOp, kAnd, kOr, kNot, kOpen, kClose, kEnd };

struct Lexeme {
  Token token = Token::kEnd;
  std::string text;  ///< column name, string value, operator
  double number = 0.0;
  std::size_t column = 0;  ///< 1-based
};

bool is_word_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Op parse_op(std::string_view text) {
  if (text == "==") return Op::kEq;
  if (text == "!=") return Op::kNe;
  if (text == "<") return Op::kLt;
  if (text == "<=") return Op::kLe;
  if (text == ">") return Op::kGt;
  return text == ">=" ? Op::kGe : Op::kEq;
}

/// Tokens and the recursive-descent parser over them.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Node>& nodes,
         std::function<void(std::size_t, std::string const&)> fail)
      : text_(text), nodes_(nodes), fail_(std::move(fail)) {
    advance();
  }

  int parse() {
    int const root = parse_or();
    if (current_.token != Token::kEnd) {
      fail_(current_.column,
            current_.token == Token::kClose
                ? std::string("')' without a matching '('")
                : fmt::format("expected 'and', 'or' or the end, got {}", describe(current_)));
    }
    return root;
  }

 private:
  static std::string describe(Lexeme const& lexeme) {
    switch (lexeme.token) {
      case Token::kEnd:
        return "the end of the expression";
      case Token::kString:
        return "a string";
      case Token::kNumber:
        return "a number";
      case Token::kColumn:
        return fmt::format("column '{}'", lexeme.text);
      default:
        return fmt::format("'{}'", lexeme.text);
    }
  }

  int add(Node node) {
    nodes_.push_back(std::move(node));
    return static_cast<int>(nodes_.size()) - 1;
  }

  int parse_or() {
    int left = parse_and();
    while (current_.token == Token::kOr) {
      advance();
      Node node;
      node.kind = Node::Kind::kOr;
      node.left = left;
      node.right = parse_and();
      left = add(std::move(node));
    }
    return left;
  }

  int parse_and() {
    int left = parse_not();
    while (current_.token == Token::kAnd) {
      advance();
      Node node;
      node.kind = Node::Kind::kAnd;
      node.left = left;
      node.right = parse_not();
      left = add(std::move(node));
    }
    return left;
  }

  int parse_not() {
    if (current_.token == Token::kNot) {
      advance();
      Node node;
      node.kind = Node::Kind::kNot;
      node.left = parse_not();
      return add(std::move(node));
    }
    if (current_.token == Token::kOpen) {
      std::size_t const open = current_.column;
      advance();
      int const inner = parse_or();
      if (current_.token != Token::kClose) {
        fail_(current_.column, fmt::format("expected ')' closing the '(' at column {}, got {}",
                                           open, describe(current_)));
      }
      advance();
      return inner;
    }
    Node node;
    node.a = operand("a column, a number or a string");
    if (current_.token != Token::kOp) {
      fail_(current_.column, fmt::format("expected a comparison (== != < <= > >=) after {}, got {}",
                                         node.a.kind == Operand::Kind::kColumn
                                             ? fmt::format("column '{}'", node.a.text)
                                             : std::string("the value"),
                                         describe(current_)));
    }
    node.op = parse_op(current_.text);
    std::string const op = current_.text;
    advance();
    node.b = operand(fmt::format("a column, a number or a string after '{}'", op));
    return add(std::move(node));
  }

  Operand operand(std::string const& expected) {
    Operand out;
    out.column = current_.column;
    switch (current_.token) {
      case Token::kColumn:
        out.kind = Operand::Kind::kColumn;
        break;
      case Token::kNumber:
        out.kind = Operand::Kind::kNumber;
        break;
      case Token::kString:
        out.kind = Operand::Kind::kString;
        break;
      default:
        fail_(current_.column, fmt::format("expected {}, got {}", expected, describe(current_)));
    }
    out.text = current_.text;
    out.number = current_.number;
    advance();
    return out;
  }

  void advance() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
    current_ = Lexeme{};
    current_.column = at_ + 1;
    if (at_ >= text_.size()) return;
    char const c = text_[at_];
    auto const next = [&](std::size_t k) { return at_ + k < text_.size() ? text_[at_ + k] : '\0'; };
    if (c == '(' || c == ')') {
      current_.token = c == '(' ? Token::kOpen : Token::kClose;
      current_.text = std::string(1, c);
      ++at_;
    } else if ((c == '&' && next(1) == '&') || (c == '|' && next(1) == '|')) {
      current_.token = c == '&' ? Token::kAnd : Token::kOr;
      current_.text = std::string(2, c);
      at_ += 2;
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
      bool const two = next(1) == '=';
      if (c == '=' && !two) fail_(at_ + 1, "'=' is not a comparison: write '=='");
      current_.token = c == '!' && !two ? Token::kNot : Token::kOp;
      current_.text = std::string(text_.substr(at_, two ? 2 : 1));
      at_ += two ? 2 : 1;
    } else if (c == '"' || c == '\'') {
      lex_string(c);
    } else if (c == '`') {
      std::size_t const end = text_.find('`', at_ + 1);
      if (end == std::string_view::npos)
        fail_(at_ + 1, "a column name in backquotes is not closed");
      if (end == at_ + 1) fail_(at_ + 1, "an empty column name");
      current_.token = Token::kColumn;
      current_.text = std::string(text_.substr(at_ + 1, end - at_ - 1));
      at_ = end + 1;
    } else if (is_digit(c) || c == '.' ||
               ((c == '-' || c == '+') && (is_digit(next(1)) || next(1) == '.'))) {
      lex_number();
    } else if (is_word_start(c)) {
      std::size_t end = at_;
      while (end < text_.size() && is_word_char(text_[end])) ++end;
      std::string const word(text_.substr(at_, end - at_));
      std::string const key = lower(word);
      current_.token = key == "and"   ? Token::kAnd
                       : key == "or"  ? Token::kOr
                       : key == "not" ? Token::kNot
                                      : Token::kColumn;
      current_.text = word;
      at_ = end;
    } else {
      fail_(at_ + 1, fmt::format("unexpected character '{}'", c));
    }
  }

  void lex_string(char quote) {
    std::size_t const start = at_;
    std::string value;
    ++at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\' && at_ + 1 < text_.size() &&
          (text_[at_ + 1] == quote || text_[at_ + 1] == '\\' || text_[at_ + 1] == '"' ||
           text_[at_ + 1] == '\'')) {
        ++at_;
      }
      value += text_[at_++];
    }
    if (at_ >= text_.size()) fail_(start + 1, "a string is not closed");
    ++at_;
    current_.token = Token::kString;
    current_.text = std::move(value);
  }

  void lex_number() {
    std::size_t const start = at_;
    std::size_t end = at_;
    if (text_[end] == '-' || text_[end] == '+') ++end;
    while (end < text_.size() && (is_digit(text_[end]) || text_[end] == '.')) ++end;
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      ++end;
      if (end < text_.size() && (text_[end] == '-' || text_[end] == '+')) ++end;
      while (end < text_.size() && is_digit(text_[end])) ++end;
    }
    if (end < text_.size() && is_word_char(text_[end])) {
      fail_(start + 1,
            "a number runs into letters; a column name must start with a letter or "
            "'_' (or be written in backquotes)");
    }
    std::string_view const digits = text_.substr(text_[start] == '+' ? start + 1 : start,
                                                 end - (text_[start] == '+' ? start + 1 : start));
    double value = 0.0;
    auto const [stop, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || stop != digits.data() + digits.size()) {
      fail_(start + 1, fmt::format("'{}' is not a number", text_.substr(start, end - start)));
    }
    current_.token = Token::kNumber;
    current_.number = value;
    current_.text = std::string(text_.substr(start, end - start));
    at_ = end;
  }

  std::string_view text_;
  std::vector<Node>& nodes_;
  std::function<void(std::size_t, std::string const&)> fail_;
  std::size_t at_ = 0;
  Lexeme current_;
};

}  // namespace

int RowFilter::parse_into(std::string_view text, std::vector<Node>& nodes,
                          std::function<void(std::size_t, std::string const&)> const& fail) {
  return Parser(text, nodes, fail).parse();
}

}  // namespace cie
