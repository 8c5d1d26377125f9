#include "host/io/customer_table_chunks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "core/privacy.hpp"
#include "host/io/delimited_text.hpp"

namespace cie {
namespace {

// A part with this many levels or fewer (segments, flags) compares a value with each of them:
// cheaper than hashing the value.
constexpr std::size_t kFewLevels = 16;

/// Calls on_row(line, fields) for each non-blank line of the chunk, `line` counted from the
/// chunk's start, until on_row returns false or the chunk ends; returns the lines walked.
/// `on_split_error(line, split)` is called instead for a line that cannot be split or has the
/// wrong field count, and ends the walk.
template <typename OnRow, typename OnSplitError>
std::size_t for_each_chunk_row(TableReadPlan const& plan, std::string_view text,
                               TableChunk const& chunk, OnRow&& on_row,
                               OnSplitError&& on_split_error) {
  LineSplitter const splitter(plan.delimiter);
  std::size_t const field_count = plan.header.size();
  std::vector<Field> fields(field_count);
  std::size_t position = chunk.begin;
  std::size_t line = 0;
  while (position < chunk.end) {
    std::string_view const text_line = next_line(text, position);
    ++line;
    if (splitter.is_blank(text_line)) continue;
    SplitResult const split = splitter.split(text_line, [&](std::size_t field, Field const& value) {
      if (field < field_count) fields[field] = value;
    });
    if (split.error != SplitError::kNone || split.field_count != field_count) {
      on_split_error(line, split);
      return line;
    }
    if (!on_row(line, fields)) return line;
  }
  return line;
}

/// The levels of column c merged over the chunks' parts in file order (each chunk's prefix, then
/// its suffix), and per part the merged index of each of its levels.
std::vector<std::string_view> merge_levels(Context const& ctx,
                                           std::vector<TableChunk> const& chunks, std::size_t c,
                                           std::vector<std::vector<std::int32_t>>& to_merged) {
  std::vector<IdDictionary const*> parts;
  for (TableChunk const& chunk : chunks) {
    parts.push_back(&chunk.columns[c].prefix.levels);
    parts.push_back(&chunk.columns[c].suffix.levels);
  }
  auto const has_levels = [](IdDictionary const* part) { return part->size() > 0; };
  if (std::count_if(parts.begin(), parts.end(), has_levels) > 1) {
    return merge_in_order(ctx, parts, to_merged);
  }
  // One part holds every level (one chunk, or a column read as categorical): in its own order.
  to_merged.assign(parts.size(), {});
  std::vector<std::string_view> levels;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (std::size_t level = 0; level < parts[p]->size(); ++level) {
      levels.push_back(parts[p]->id(level));
      to_merged[p].push_back(static_cast<std::int32_t>(level));
    }
  }
  return levels;
}

}  // namespace

void TableReadPlan::fail_at(std::size_t line, std::size_t field, std::string_view reason) const {
  fail(ExitCode::kInputData, "{}:{}: column {} ({}): {}", source, line, field + 1,
       field < header.size() ? std::string_view(header[field]) : "beyond the header", reason);
}

bool TableReadPlan::is_missing(std::string_view value) const noexcept {
  return value.empty() ||
         std::find(missing_tokens.begin(), missing_tokens.end(), value) != missing_tokens.end();
}

std::string TableReadPlan::non_finite_reason(bool is_nan) const {
  if (!is_nan) return "Inf is not allowed in a numeric column";
  return fmt::format(
      "NaN is not allowed in a numeric column (a missing value is empty or one "
      "of: {})",
      fmt::join(missing_tokens, ", "));
}

void LevelPart::encode(std::string_view value, bool escaped, bool missing) {
  std::int32_t code = -1;
  if (!missing) {
    std::size_t const few = levels.size() <= kFewLevels ? levels.size() : 0;
    for (std::size_t level = 0; level < few; ++level) {
      if (levels.id(level) == value) {
        code = static_cast<std::int32_t>(level);
        break;
      }
    }
    if (code < 0) {  // a level not met yet, or one of many
      std::uint64_t const hash = hash_id(value);
      code = levels.find(value, hash);
      if (code < 0) code = levels.insert(escaped ? owned.emplace_back(value) : value, hash);
    }
  }
  codes.push_back(code);
}

void parse_table_rows(TableReadPlan const& plan, std::string_view text, TableChunk& chunk) {
  std::size_t const column_count = plan.column_fields.size();
  for (std::size_t c = 0; c < column_count; ++c) {
    if (plan.forced_categorical[c] != 0) chunk.columns[c].categorical_from = 0;
  }
  std::string buffer;
  auto const stop = [&](std::size_t line, std::size_t field, std::string reason) {
    chunk.error = RowError{line, field, std::move(reason)};
    return false;
  };
  auto const on_row = [&](std::size_t line, std::vector<Field> const& fields) {
    if (plan.id_field) {
      std::string_view const id = unescape(fields[*plan.id_field], buffer);
      if (id.empty()) return stop(line, *plan.id_field, "empty customer id");
      chunk.ids.emplace_back(id);
    }
    std::size_t const row = chunk.lines.size();
    chunk.lines.push_back(line);
    for (std::size_t c = 0; c < column_count; ++c) {
      ChunkColumn& column = chunk.columns[c];
      std::size_t const field = plan.column_fields[c];
      std::string_view const value = unescape(fields[field], buffer);
      bool const escaped = fields[field].has_escaped_quotes;
      bool const missing = plan.is_missing(value);
      if (column.categorical_from != ChunkColumn::kNumeric) {
        column.suffix.encode(value, escaped, missing);
        continue;
      }
      double number = 0.0;
      if (!missing && !parse_number(value, number)) {
        if (plan.forced_numeric[c] != 0) {
          return stop(line, field,
                      fmt::format("cannot parse {} as a number (the column is read as numeric)",
                                  message_value(value)));
        }
        // The column turns categorical: its numbers are of no use any more.
        column.categorical_from = row;
        std::vector<double>().swap(column.numbers);
        std::vector<std::uint8_t>().swap(column.missing);
        column.suffix.encode(value, escaped, false);
        continue;
      }
      if (!std::isfinite(number)) {
        if (plan.forced_numeric[c] != 0) {
          return stop(line, field, plan.non_finite_reason(std::isnan(number)));
        }
        if (column.non_finite.line == 0) column.non_finite = {line, field, std::isnan(number)};
      }
      column.numbers.push_back(missing ? 0.0 : number);
      column.missing.push_back(missing ? 1 : 0);
    }
    return true;
  };
  auto const on_split_error = [&](std::size_t line, SplitResult const& split) {
    std::size_t const field_count = plan.header.size();
    if (split.error != SplitError::kNone) {
      stop(line, split.field_count - 1, std::string(describe(split.error)));
    } else {
      stop(line, std::min(split.field_count, field_count),
           fmt::format("expected {} fields, found {}", field_count, split.field_count));
    }
  };
  chunk.line_count = for_each_chunk_row(plan, text, chunk, on_row, on_split_error);
}

void encode_table_prefixes(TableReadPlan const& plan, std::string_view text,
                           std::span<std::size_t const> columns, TableChunk& chunk) {
  std::size_t const rows = chunk.lines.size();
  auto const prefix_rows = [&](std::size_t c) {
    return std::min(chunk.columns[c].categorical_from, rows);
  };
  std::size_t rows_needed = 0;
  for (std::size_t const c : columns) {
    rows_needed = std::max(rows_needed, prefix_rows(c));
    ChunkColumn& column = chunk.columns[c];
    column.prefix.codes.reserve(prefix_rows(c));
    // The column is categorical: its numbers are of no use.
    std::vector<double>().swap(column.numbers);
    std::vector<std::uint8_t>().swap(column.missing);
  }
  if (rows_needed == 0) return;
  std::string buffer;
  std::size_t row = 0;
  auto const on_row = [&](std::size_t, std::vector<Field> const& fields) {
    for (std::size_t const c : columns) {
      if (row >= prefix_rows(c)) continue;
      Field const& field = fields[plan.column_fields[c]];
      std::string_view const value = unescape(field, buffer);
      chunk.columns[c].prefix.encode(value, field.has_escaped_quotes, plan.is_missing(value));
    }
    return ++row < rows_needed;
  };
  // Pass 1 accepted every line up to the chunk's end: none can fail to split now.
  auto const on_split_error = [](std::size_t, SplitResult const&) { CIE_ASSERT(false); };
  for_each_chunk_row(plan, text, chunk, on_row, on_split_error);
  CIE_ASSERT(row == rows_needed);
}

std::vector<std::size_t> table_row_offsets(std::vector<TableChunk> const& chunks) {
  std::vector<std::size_t> offsets(chunks.size() + 1, 0);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    offsets[c + 1] = offsets[c] + chunks[c].lines.size();
  }
  return offsets;
}

void merge_table_column(Context const& ctx, std::vector<TableChunk>& chunks,
                        std::vector<std::size_t> const& offsets, std::size_t c,
                        TableColumn& column) {
  if (column.type == ColumnType::kNumeric) {
    concatenate_chunks(
        ctx, chunks, offsets, [c](TableChunk & chunk) -> auto& { return chunk.columns[c].numbers; },
        column.numbers);
    concatenate_chunks(
        ctx, chunks, offsets, [c](TableChunk & chunk) -> auto& { return chunk.columns[c].missing; },
        column.missing);
    return;
  }
  std::vector<std::vector<std::int32_t>> to_merged;
  std::vector<std::string_view> const levels = merge_levels(ctx, chunks, c, to_merged);
  column.levels.assign(levels.begin(), levels.end());
  std::size_t const rows = offsets.back();
  column.codes.resize(rows);
  column.missing.resize(rows);
  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t k = 0; k < chunk_count; ++k) {
    auto const chunk = static_cast<std::size_t>(k);
    std::size_t row = offsets[chunk];
    auto const renumber = [&](LevelPart const& part, std::vector<std::int32_t> const& map) {
      for (std::int32_t const code : part.codes) {
        column.codes[row] = code < 0 ? -1 : map[static_cast<std::size_t>(code)];
        column.missing[row] = code < 0 ? 1 : 0;
        ++row;
      }
    };
    ChunkColumn& part = chunks[chunk].columns[c];
    renumber(part.prefix, to_merged[2 * chunk]);
    renumber(part.suffix, to_merged[2 * chunk + 1]);
    CIE_ASSERT(row == offsets[chunk + 1]);
  }
  for (TableChunk& chunk : chunks) chunk.columns[c] = ChunkColumn{};
}

}  // namespace cie
