#include "host/numeric_table.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "host/delimited_text.hpp"
#include "host/error.hpp"
#include "host/text_file.hpp"

namespace cie {
namespace {

/// What a field of the file is read as.
enum class Use : std::uint8_t { kSkip, kId, kNumeric, kText };

struct FieldUse {
  Use use = Use::kSkip;
  std::size_t slot = 0;  ///< for kNumeric: index into NumericTable::numeric
};

/// Parses a whole field as a finite number (parse_number), or returns why it is refused.
std::optional<std::string> parse_value(std::string_view text, double& value) {
  if (text.empty()) return "empty value (missing values are not allowed in a feature)";
  if (!parse_number(text, value)) return fmt::format("cannot parse '{}' as a number", text);
  if (std::isnan(value)) return "NaN is not allowed in a feature";
  if (std::isinf(value)) return "Inf is not allowed in a feature";
  return std::nullopt;
}

}  // namespace

std::vector<double> const* NumericTable::find(std::string_view name) const noexcept {
  auto const found = std::find(numeric_names.begin(), numeric_names.end(), name);
  return found == numeric_names.end()
             ? nullptr
             : &numeric[static_cast<std::size_t>(found - numeric_names.begin())];
}

std::string NumericTable::describe_row(std::size_t row) const {
  return fmt::format("{}:{}", source, line_numbers[row]);
}

NumericTable parse_numeric_table(std::string_view text, std::string const& source,
                                 NumericTableRequest const& request) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  LineSplitter const splitter(request.delimiter);
  NumericTable table;
  table.source = source;

  std::size_t position = 0;
  std::size_t line_number = 0;
  std::vector<std::string> header;
  std::string buffer;
  while (position < text.size() && header.empty()) {
    std::string_view const line = next_line(text, position);
    ++line_number;
    if (splitter.is_blank(line)) continue;
    SplitResult const split = splitter.split(line, [&](std::size_t, Field const& field) {
      header.emplace_back(unescape(field, buffer));
    });
    if (split.error != SplitError::kNone) {
      fail(ExitCode::kInputData, "{}:{}: header column {}: {}", source, line_number,
           split.field_count, describe(split.error));
    }
  }
  CIE_EXPECTS_DATA(!header.empty(), "{}: the file is empty (a header line is needed)", source);

  auto const field_of = [&](std::string const& name) -> std::optional<std::size_t> {
    auto const found = std::find(header.begin(), header.end(), name);
    if (found == header.end()) return std::nullopt;
    return static_cast<std::size_t>(found - header.begin());
  };
  std::vector<std::string> missing;
  std::vector<FieldUse> uses(header.size());
  auto const take = [&](std::string const& name, Use use) {
    std::optional<std::size_t> const field = field_of(name);
    if (!field) return false;
    if (uses[*field].use != Use::kSkip) return true;  // asked for twice: read once
    uses[*field] = {use, table.numeric_names.size()};
    if (use == Use::kNumeric) table.numeric_names.push_back(name);
    if (use == Use::kText) table.text_name = name;
    return true;
  };
  if (!take(request.id_column, Use::kId)) missing.push_back(request.id_column);
  for (std::string const& name : request.numeric_columns) {
    if (!take(name, Use::kNumeric)) missing.push_back(name);
  }
  if (!missing.empty()) {
    fail(ExitCode::kUsage, "{}: {} {} {} not in the header{}; its columns are: {}", source,
         missing.size() == 1 ? "column" : "columns", fmt::join(missing, ", "),
         missing.size() == 1 ? "is" : "are",
         request.needed_by.empty() ? "" : fmt::format(" (needed by {})", request.needed_by),
         fmt::join(header, ", "));
  }
  for (std::string const& name : request.optional_numeric_columns) take(name, Use::kNumeric);
  if (!request.optional_text_column.empty()) take(request.optional_text_column, Use::kText);
  table.numeric.resize(table.numeric_names.size());

  std::vector<Field> fields(header.size());
  while (position < text.size()) {
    std::string_view const line = next_line(text, position);
    ++line_number;
    if (splitter.is_blank(line)) continue;
    SplitResult const split = splitter.split(line, [&](std::size_t field, Field const& value) {
      if (field < fields.size()) fields[field] = value;
    });
    auto const problem = [&](std::size_t field, std::string_view reason) {
      fail(ExitCode::kInputData, "{}:{}: column {} ({}): {}", source, line_number, field + 1,
           field < header.size() ? header[field] : fmt::format("#{}", field + 1), reason);
    };
    if (split.error != SplitError::kNone) problem(split.field_count - 1, describe(split.error));
    if (split.field_count != header.size()) {
      fail(ExitCode::kInputData, "{}:{}: expected {} fields, found {}", source, line_number,
           header.size(), split.field_count);
    }
    for (std::size_t field = 0; field < header.size(); ++field) {
      FieldUse const& use = uses[field];
      if (use.use == Use::kSkip) continue;
      std::string_view const value = unescape(fields[field], buffer);
      if (use.use == Use::kId) {
        if (value.empty()) problem(field, "empty customer id");
        table.ids.emplace_back(value);
      } else if (use.use == Use::kText) {
        table.text.emplace_back(value);
      } else {
        double number = 0.0;
        if (std::optional<std::string> const reason = parse_value(value, number)) {
          problem(field, *reason);
        }
        table.numeric[use.slot].push_back(number);
      }
    }
    table.line_numbers.push_back(line_number);
  }
  return table;
}

NumericTable read_numeric_table(std::string const& path, NumericTableRequest const& request) {
  return parse_numeric_table(read_text_file(path), path, request);
}

}  // namespace cie
