#include "host/io/customer_table_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "core/privacy.hpp"
#include "core/pseudonymize.hpp"
#include "core/text_file.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/input_text.hpp"

namespace cie {
namespace {

/// A column's levels by text: an open-addressing dictionary (core/id_dictionary.hpp) over texts
/// kept at stable addresses; codes are the dictionary's indices, in first-appearance order.
struct LevelCodes {
  std::deque<std::string> texts;
  IdDictionary index;
};

/// The file being read: its header and where its rows start, shared by both passes.
struct Layout {
  std::string const& source;
  std::vector<std::string> header;
  std::size_t data_position = 0;  ///< offset of the line after the header
  std::size_t data_line = 0;      ///< line number of the header
  char delimiter = ',';

  [[noreturn]] void fail_at(std::size_t line, std::size_t field, std::string_view reason) const {
    fail(ExitCode::kInputData, "{}:{}: column {} ({}): {}", source, line, field + 1,
         field < header.size() ? std::string_view(header[field]) : "beyond the header", reason);
  }

  /// Calls on_row(line_number, fields) for each non-blank line after the header; an input error
  /// for a broken quote or a wrong field count.
  template <typename OnRow>
  void for_each_row(std::string_view text, OnRow&& on_row) const {
    LineSplitter const splitter(delimiter);
    std::vector<Field> fields(header.size());
    std::size_t position = data_position;
    std::size_t line_number = data_line;
    while (position < text.size()) {
      std::string_view const line = next_line(text, position);
      ++line_number;
      if (splitter.is_blank(line)) continue;
      SplitResult const split = splitter.split(line, [&](std::size_t field, Field const& value) {
        if (field < fields.size()) fields[field] = value;
      });
      if (split.error != SplitError::kNone) {
        fail_at(line_number, split.field_count - 1, describe(split.error));
      }
      if (split.field_count != header.size()) {
        fail_at(line_number, std::min(split.field_count, header.size()),
                fmt::format("expected {} fields, found {}", header.size(), split.field_count));
      }
      on_row(line_number, fields);
    }
  }
};

Layout read_header(std::string_view text, std::string const& source, char delimiter) {
  Layout layout{source, {}, 0, 0, delimiter};
  LineSplitter const splitter(delimiter);
  std::string buffer;
  while (layout.data_position < text.size() && layout.header.empty()) {
    std::string_view const line = next_line(text, layout.data_position);
    ++layout.data_line;
    if (splitter.is_blank(line)) continue;
    SplitResult const split = splitter.split(line, [&](std::size_t, Field const& field) {
      layout.header.emplace_back(unescape(field, buffer));
    });
    if (split.error != SplitError::kNone) {
      fail(ExitCode::kInputData, "{}:{}: header column {}: {}", source, layout.data_line,
           split.field_count, describe(split.error));
    }
  }
  CIE_EXPECTS_DATA(!layout.header.empty(), "{}: the file is empty (a header line is needed)",
                   source);
  return layout;
}

bool contains(std::vector<std::string> const& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

/// Which header fields are read: the id field and, per column of the table, its field.
struct Selection {
  std::optional<std::size_t> id_field;
  std::vector<std::size_t> column_fields;
  std::vector<std::string> column_names;
};

/// Every check here is a hash lookup, so a header of a million columns is handled in linear time.
Selection select_columns(Layout const& layout, CustomerTableRequest const& request) {
  std::vector<std::string> const& header = layout.header;
  std::string const& source = layout.source;
  std::unordered_map<std::string_view, std::size_t> first_field, second_field;
  first_field.reserve(header.size());
  for (std::size_t field = 0; field < header.size(); ++field) {
    if (!first_field.emplace(header[field], field).second)
      second_field.emplace(header[field], field);
  }
  auto const in_header = [&](std::string_view name) { return first_field.contains(name); };
  auto const field_of = [&](std::string const& name) -> std::optional<std::size_t> {
    auto const found = first_field.find(name);
    if (found == first_field.end()) return std::nullopt;
    auto const again = second_field.find(name);
    if (again != second_field.end()) {
      layout.fail_at(layout.data_line, found->second,
                     fmt::format("the header names it twice (columns {} and {})", found->second + 1,
                                 again->second + 1));
    }
    return found->second;
  };
  std::unordered_set<std::string_view> const excluded(request.exclude.begin(),
                                                      request.exclude.end());
  std::vector<std::string> unknown;
  for (std::string const& name : request.exclude) {
    if (!in_header(name)) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    fail(ExitCode::kUsage, "{}: excluded {} {} {} not in the header; its columns are: {}", source,
         unknown.size() == 1 ? "column" : "columns", fmt::join(unknown, ", "),
         unknown.size() == 1 ? "is" : "are", describe_header(header));
  }
  std::unordered_set<std::string_view> const numeric(request.numeric.begin(),
                                                     request.numeric.end());
  for (std::string const& name : request.categorical) {
    CIE_EXPECTS(!numeric.contains(name),
                "{}: column {} is asked to be read both as categorical and as numeric", source,
                name);
  }

  Selection selection;
  std::unordered_set<std::string_view> selected;
  std::vector<std::string> missing;
  if (!request.id_column.empty()) {
    selection.id_field = field_of(request.id_column);
    if (!selection.id_field) missing.push_back(request.id_column);
  }
  std::vector<std::string> const& wanted = request.columns.empty() ? header : request.columns;
  for (std::string const& name : wanted) {
    if (excluded.contains(name)) continue;
    if (request.columns.empty() && name == request.id_column) continue;
    CIE_EXPECTS(name != request.id_column, "{}: the id column {} cannot also be read as a column",
                source, name);
    CIE_EXPECTS(!selected.contains(name), "{}: column {} is requested twice", source, name);
    std::optional<std::size_t> const field = field_of(name);
    if (!field) {
      missing.push_back(name);
      continue;
    }
    selection.column_fields.push_back(*field);
    selection.column_names.push_back(name);
    selected.insert(name);
  }
  for (std::string const& name : request.optional_columns) {
    if (name == request.id_column || excluded.contains(name) || selected.contains(name) ||
        !in_header(name)) {
      continue;
    }
    selection.column_fields.push_back(*field_of(name));
    selection.column_names.push_back(name);
    selected.insert(name);
  }
  if (!missing.empty()) {
    fail(ExitCode::kUsage, "{}: {} {} {} not in the header{}; its columns are: {}", source,
         missing.size() == 1 ? "column" : "columns", fmt::join(missing, ", "),
         missing.size() == 1 ? "is" : "are",
         request.needed_by.empty() ? "" : fmt::format(" (needed by {})", request.needed_by),
         describe_header(header));
  }
  return selection;
}

/// A numeric-looking column's first NaN or Inf: an error only if the column stays numeric.
struct NonFinite {
  std::size_t line = 0;  ///< 0: none seen
  std::size_t field = 0;
  bool is_nan = false;
};

std::string non_finite_reason(bool is_nan, std::vector<std::string> const& missing_tokens) {
  if (!is_nan) return "Inf is not allowed in a numeric column";
  return fmt::format(
      "NaN is not allowed in a numeric column (a missing value is empty or one "
      "of: {})",
      fmt::join(missing_tokens, ", "));
}

}  // namespace

CustomerTable parse_customer_table(std::string_view text, std::string const& source,
                                   CustomerTableRequest const& request) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  Layout const layout = read_header(text, source, request.delimiter);
  Selection const selection = select_columns(layout, request);
  std::size_t const n_columns = selection.column_names.size();

  CustomerTable table;
  table.source = source;
  table.columns.resize(n_columns);
  std::vector<std::uint8_t> forced_numeric(n_columns, 0);
  std::vector<std::uint8_t> forced_categorical(n_columns, 0);
  for (std::size_t c = 0; c < n_columns; ++c) {
    TableColumn& column = table.columns[c];
    column.name = selection.column_names[c];
    forced_categorical[c] = contains(request.categorical, column.name) ? 1 : 0;
    if (forced_categorical[c] != 0) column.type = ColumnType::kCategorical;
    forced_numeric[c] = contains(request.numeric, column.name) ? 1 : 0;
  }
  auto const is_missing = [&](std::string_view value) {
    return value.empty() || contains(request.missing_tokens, value);
  };
  std::vector<LevelCodes> codes_of(n_columns);
  auto const encode = [&](std::size_t c, std::string_view value) {
    TableColumn& column = table.columns[c];
    std::int32_t code = -1;
    if (!is_missing(value)) {
      // A few levels (segments, flags): comparing them is cheaper than hashing the value.
      std::size_t const few = column.levels.size() <= 16 ? column.levels.size() : 0;
      for (std::size_t level = 0; level < few; ++level) {
        if (column.levels[level] == value) {
          code = static_cast<std::int32_t>(level);
          break;
        }
      }
    }
    if (code < 0 && !is_missing(value)) {  // a level not met yet, or one of many
      LevelCodes& codes = codes_of[c];
      std::uint64_t const hash = hash_id(value);
      code = codes.index.find(value, hash);
      if (code < 0) {
        code = codes.index.insert(codes.texts.emplace_back(value), hash);
        column.levels.emplace_back(value);
      }
    }
    column.codes.push_back(code);
    column.missing.push_back(code < 0 ? 1 : 0);
  };

  // Pass 1: structure, ids and line numbers; codes for the columns forced categorical; numbers
  // for every other column while it may be numeric. A column turns categorical at its first value
  // that is not a number (or missing), and its numbers are dropped; pass 2 encodes such columns.
  // No raw text is kept.
  std::vector<NonFinite> non_finite(n_columns);
  std::string buffer;
  layout.for_each_row(text, [&](std::size_t line, std::vector<Field> const& fields) {
    if (selection.id_field) {
      std::string_view const id = unescape(fields[*selection.id_field], buffer);
      if (id.empty()) layout.fail_at(line, *selection.id_field, "empty customer id");
      table.ids.emplace_back(id);
    }
    table.line_numbers.push_back(line);
    for (std::size_t c = 0; c < n_columns; ++c) {
      TableColumn& column = table.columns[c];
      std::size_t const field = selection.column_fields[c];
      if (forced_categorical[c] != 0) encode(c, unescape(fields[field], buffer));
      if (column.type == ColumnType::kCategorical) continue;
      std::string_view const value = unescape(fields[field], buffer);
      double number = 0.0;
      bool const missing = is_missing(value);
      if (!missing && !parse_number(value, number)) {
        if (forced_numeric[c] != 0) {
          layout.fail_at(line, field,
                         fmt::format("cannot parse {} as a number (the column is "
                                     "read as numeric)",
                                     message_value(value)));
        }
        column.type = ColumnType::kCategorical;
        std::vector<double>().swap(column.numbers);
        std::vector<std::uint8_t>().swap(column.missing);
        continue;
      }
      if (!std::isfinite(number)) {
        if (forced_numeric[c] != 0) {
          layout.fail_at(line, field,
                         non_finite_reason(std::isnan(number), request.missing_tokens));
        }
        if (non_finite[c].line == 0) non_finite[c] = {line, field, std::isnan(number)};
      }
      column.numbers.push_back(missing ? 0.0 : number);
      column.missing.push_back(missing ? 1 : 0);
    }
  });
  NonFinite const* first_bad = nullptr;
  for (std::size_t c = 0; c < n_columns; ++c) {
    NonFinite const& bad = non_finite[c];
    bool const numeric = table.columns[c].type == ColumnType::kNumeric;
    if (numeric && bad.line != 0 && (first_bad == nullptr || bad.line < first_bad->line)) {
      first_bad = &bad;
    }
  }
  if (first_bad != nullptr) {
    layout.fail_at(first_bad->line, first_bad->field,
                   non_finite_reason(first_bad->is_nan, request.missing_tokens));
  }

  // Pass 2: dictionary-encode the columns that turned categorical.
  std::vector<std::size_t> turned;
  for (std::size_t c = 0; c < n_columns; ++c) {
    if (table.columns[c].type == ColumnType::kCategorical && forced_categorical[c] == 0) {
      turned.push_back(c);
    }
  }
  if (!turned.empty()) {
    for (std::size_t c : turned) {
      table.columns[c].codes.reserve(table.line_numbers.size());
      table.columns[c].missing.reserve(table.line_numbers.size());
    }
    layout.for_each_row(text, [&](std::size_t, std::vector<Field> const& fields) {
      for (std::size_t c : turned) encode(c, unescape(fields[selection.column_fields[c]], buffer));
    });
    CIE_ASSERT(table.columns[turned.front()].codes.size() == table.line_numbers.size());
  }

  if (selection.id_field) {
    (void)index_ids(table, [&](std::size_t row, std::size_t first) {
      layout.fail_at(
          table.line_numbers[row], *selection.id_field,
          fmt::format("duplicate customer id (first on line {})", table.line_numbers[first]));
    });
    pseudonymize_ids(table.ids);  // after the check: messages name lines, not ids
  } else {
    table.ids.reserve(table.line_numbers.size());
    for (std::size_t row = 0; row < table.line_numbers.size(); ++row) {
      table.ids.push_back(std::to_string(row + 1));
    }
  }
  return table;
}

CustomerTable read_customer_table(std::string const& path, CustomerTableRequest const& request) {
  if (path == kStandardInput) {
    std::string text = read_standard_input();
    if (is_gzip(text)) text = gunzip(text, "<standard input>");
    return parse_customer_table(text, "<standard input>", request);
  }
  std::string text = read_text_file(path, std::numeric_limits<std::size_t>::max());
  if (is_gzip(text)) text = gunzip(text, path);
  return parse_customer_table(text, path, request);
}

}  // namespace cie
