#include "host/io/customer_table_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "core/privacy.hpp"
#include "core/pseudonymize.hpp"
#include "host/io/customer_table_chunks.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/input_text.hpp"
#include "host/io/mapped_file.hpp"

namespace cie {
namespace {

// Two chunks per thread even out chunks that parse at different speeds.
constexpr std::size_t kTableChunksPerThread = 2;

TableReadPlan read_header(std::string_view text, std::string const& source, char delimiter) {
  TableReadPlan plan(source);
  plan.delimiter = delimiter;
  LineSplitter const splitter(delimiter);
  std::string buffer;
  while (plan.data_position < text.size() && plan.header.empty()) {
    std::string_view const line = next_line(text, plan.data_position);
    ++plan.header_line;
    if (splitter.is_blank(line)) continue;
    SplitResult const split = splitter.split(line, [&](std::size_t, Field const& field) {
      plan.header.emplace_back(unescape(field, buffer));
    });
    if (split.error != SplitError::kNone) {
      fail(ExitCode::kInputData, "{}:{}: header column {}: {}", source, plan.header_line,
           split.field_count, describe(split.error));
    }
  }
  CIE_EXPECTS_DATA(!plan.header.empty(), "{}: the file is empty (a header line is needed)", source);
  return plan;
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
Selection select_columns(TableReadPlan const& plan, CustomerTableRequest const& request) {
  std::vector<std::string> const& header = plan.header;
  std::string const& source = plan.source;
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
      plan.fail_at(plan.header_line, found->second,
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

/// Lowers `target` to `value` if that is smaller.
void lower_to(std::atomic<std::size_t>& target, std::size_t value) noexcept {
  std::size_t current = target.load();
  while (value < current && !target.compare_exchange_weak(current, value)) {
  }
}

/// Runs work(chunk, index) for every chunk on ctx's threads; then rethrows the first exception in
/// file order, unless a chunk before it stopped at a bad row.
template <typename Work>
void for_each_chunk(Context const& ctx, std::vector<TableChunk>& chunks, Work&& work) {
  auto const count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t c = 0; c < count; ++c) {
    TableChunk& chunk = chunks[static_cast<std::size_t>(c)];
    try {
      work(chunk, static_cast<std::size_t>(c));
    } catch (...) {
      chunk.failure = std::current_exception();
    }
  }
  for (TableChunk const& chunk : chunks) {
    if (chunk.error) break;  // a bad row comes before anything thrown later in the file
    if (chunk.failure) std::rethrow_exception(chunk.failure);
  }
}

/// Pass 1 on every chunk. Only the first bad row in the file matters: chunks after one that
/// failed are skipped, and the first failure in file order is thrown with its file line.
/// Returns each chunk's line number offset (its lines are numbered from offset + 1).
std::vector<std::size_t> parse_rows(Context const& ctx, TableReadPlan const& plan,
                                    std::string_view body, std::vector<TableChunk>& chunks) {
  std::atomic<std::size_t> first_failed{chunks.size()};
  for_each_chunk(ctx, chunks, [&](TableChunk& chunk, std::size_t index) {
    if (index > first_failed.load()) return;
    parse_table_rows(plan, body, chunk);
    if (chunk.error) lower_to(first_failed, index);
  });
  std::vector<std::size_t> line_offset(chunks.size());
  std::size_t lines = plan.header_line;
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    line_offset[c] = lines;
    if (RowError const* error = chunks[c].error ? &*chunks[c].error : nullptr) {
      plan.fail_at(lines + error->line, error->field, error->reason);
    }
    lines += chunks[c].line_count;
  }
  return line_offset;
}

/// The first NaN or Inf in file order of the columns that stay numeric (the leftmost column of
/// its line), as an input error.
void check_finite(TableReadPlan const& plan, std::vector<TableChunk> const& chunks,
                  std::vector<std::size_t> const& line_offset,
                  std::vector<std::uint8_t> const& categorical) {
  std::optional<NonFinite> first_bad;
  for (std::size_t c = 0; c < categorical.size(); ++c) {
    if (categorical[c] != 0) continue;
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      NonFinite bad = chunks[k].columns[c].non_finite;
      if (bad.line == 0) continue;
      bad.line += line_offset[k];
      if (!first_bad || bad.line < first_bad->line) first_bad = bad;
      break;
    }
  }
  if (first_bad) {
    plan.fail_at(first_bad->line, first_bad->field, plan.non_finite_reason(first_bad->is_nan));
  }
}

}  // namespace

CustomerTable parse_customer_table(Context const& ctx, std::string_view text,
                                   std::string const& source, CustomerTableRequest const& request,
                                   std::size_t min_chunk_bytes) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  TableReadPlan plan = read_header(text, source, request.delimiter);
  Selection selection = select_columns(plan, request);
  std::size_t const n_columns = selection.column_names.size();
  plan.id_field = selection.id_field;
  plan.column_fields = selection.column_fields;
  plan.missing_tokens = request.missing_tokens;
  for (std::string const& name : selection.column_names) {
    plan.forced_categorical.push_back(contains(request.categorical, name) ? 1 : 0);
    plan.forced_numeric.push_back(contains(request.numeric, name) ? 1 : 0);
  }

  std::string_view const body = text.substr(plan.data_position);
  std::vector<TableChunk> chunks;
  // One thread has nothing to balance: one chunk, whose vectors become the table's.
  std::size_t const per_thread = ctx.threads() == 1 ? 1 : kTableChunksPerThread;
  for (TextRange const range : cut_at_line_ends(body, ctx.threads(), min_chunk_bytes, per_thread)) {
    chunks.emplace_back(range.begin, range.end, n_columns);
  }
  std::vector<std::size_t> const line_offset = parse_rows(ctx, plan, body, chunks);

  // A column is categorical when it is read so or when some chunk met a value that is no number.
  std::vector<std::uint8_t> categorical(plan.forced_categorical);
  std::vector<std::size_t> turned;
  for (std::size_t c = 0; c < n_columns; ++c) {
    if (categorical[c] != 0) continue;
    for (TableChunk const& chunk : chunks) {
      if (chunk.columns[c].categorical_from != ChunkColumn::kNumeric) categorical[c] = 1;
    }
    if (categorical[c] != 0) turned.push_back(c);
  }
  check_finite(plan, chunks, line_offset, categorical);
  if (!turned.empty()) {
    for_each_chunk(ctx, chunks, [&](TableChunk& chunk, std::size_t) {
      encode_table_prefixes(plan, body, turned, chunk);
    });
  }

  CustomerTable table;
  table.source = source;
  std::vector<std::size_t> const offsets = table_row_offsets(chunks);
  std::size_t const rows = offsets.back();
  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t k = 0; k < chunk_count; ++k) {
    auto const chunk = static_cast<std::size_t>(k);
    for (std::size_t& line : chunks[chunk].lines) line += line_offset[chunk];
  }
  concatenate_chunks(
      ctx, chunks, offsets, [](TableChunk & chunk) -> auto& { return chunk.lines; },
      table.line_numbers);
  if (plan.id_field) {
    concatenate_chunks(
        ctx, chunks, offsets, [](TableChunk & chunk) -> auto& { return chunk.ids; }, table.ids);
  }
  table.columns.resize(n_columns);
  for (std::size_t c = 0; c < n_columns; ++c) {
    TableColumn& column = table.columns[c];
    column.name = selection.column_names[c];
    column.type = categorical[c] != 0 ? ColumnType::kCategorical : ColumnType::kNumeric;
    merge_table_column(ctx, chunks, offsets, c, column);
  }

  if (plan.id_field) {
    (void)index_ids(ctx, table, [&](std::size_t row, std::size_t first) {
      plan.fail_at(
          table.line_numbers[row], *plan.id_field,
          fmt::format("duplicate customer id (first on line {})", table.line_numbers[first]));
    });
    pseudonymize_ids(table.ids);  // after the check: messages name lines, not ids
  } else {
    table.ids.resize(rows);
    auto const row_count = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
    for (std::ptrdiff_t row = 0; row < row_count; ++row) {
      table.ids[static_cast<std::size_t>(row)] = std::to_string(row + 1);
    }
  }
  return table;
}

CustomerTable parse_customer_table(std::string_view text, std::string const& source,
                                   CustomerTableRequest const& request) {
  return parse_customer_table(Context::cpu(1), text, source, request);
}

CustomerTable read_customer_table(Context const& ctx, std::string const& path,
                                  CustomerTableRequest const& request) {
  if (path == kStandardInput) {
    std::string text = read_standard_input();
    if (is_gzip(text)) text = gunzip(text, "<standard input>");
    return parse_customer_table(ctx, text, "<standard input>", request);
  }
  // Mapped, not copied: the chunks' threads fault its pages in as they parse.
  MappedFile const file(path, "table");
  try {
    CustomerTable table = is_gzip(file.text())
                              ? parse_customer_table(ctx, gunzip(file.text(), path), path, request)
                              : parse_customer_table(ctx, file.text(), path, request);
    file.check_unchanged();
    return table;
  } catch (...) {
    // Whatever a damaged mapping made the parse do, the damage is the error to report.
    file.check_unchanged();
    throw;
  }
}

CustomerTable read_customer_table(std::string const& path, CustomerTableRequest const& request) {
  return read_customer_table(Context::cpu(1), path, request);
}

}  // namespace cie
