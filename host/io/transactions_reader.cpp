// Reading transactions: the file is cut into chunks at line ends, each chunk is parsed on its
// own thread into its slice of the output with its own id dictionary (host/transactions_chunks),
// and the dictionaries are then merged in chunk order, which makes every output vector
// independent of the thread count. This file does the file-level work: mapping the file, the
// header and column layout, cutting, placing, parsing and merging the chunks, and the
// quarantine file.
#include "host/io/transactions_reader.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/id_dictionary.hpp"
#include "core/pseudonymize.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/input_text.hpp"
#include "host/io/mapped_file.hpp"
#include "host/io/transactions_chunks.hpp"
#include "host/io/transactions_layout.hpp"

namespace cie {
namespace {

// At least 1 MiB per chunk keeps the per-chunk costs (a dictionary, a merge) small; a few chunks
// per thread even out chunks that parse at different speeds.
constexpr std::size_t kMinChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kChunksPerThread = 2;

/// Cuts the body at line ends into a few chunks per thread of at least kMinChunkBytes each.
std::vector<Chunk> cut_into_chunks(std::string_view body, int threads) {
  std::vector<TextRange> const ranges =
      cut_at_line_ends(body, threads, kMinChunkBytes, kChunksPerThread);
  std::vector<Chunk> chunks(ranges.size());
  for (std::size_t c = 0; c < ranges.size(); ++c) {
    chunks[c].begin = ranges[c].begin;
    chunks[c].end = ranges[c].end;
  }
  return chunks;
}

/// Lowers `target` to `value` if that is smaller.
void lower_to(std::atomic<std::size_t>& target, std::size_t value) noexcept {
  std::size_t current = target.load();
  while (value < current && !target.compare_exchange_weak(current, value)) {
  }
}

/// Merges the chunk dictionaries in chunk order into the result's customer ids and rewrites each
/// chunk's local indices; then closes the gaps left by lines that gave no row.
void merge_chunks(Context const& ctx, std::vector<Chunk> const& chunks, Transactions& result) {
  std::vector<IdDictionary const*> dictionaries;
  for (Chunk const& chunk : chunks) dictionaries.push_back(&chunk.ids);
  std::vector<std::vector<std::int32_t>> merged_index;
  std::vector<std::string_view> const ids = merge_in_order(ctx, dictionaries, merged_index);
  result.customer_ids.resize(ids.size());
  auto const id_count = static_cast<std::ptrdiff_t>(ids.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t c = 0; c < id_count; ++c) {
    result.customer_ids[static_cast<std::size_t>(c)] = ids[static_cast<std::size_t>(c)];
  }

  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t c = 0; c < chunk_count; ++c) {
    Chunk const& chunk = chunks[static_cast<std::size_t>(c)];
    std::vector<std::int32_t> const& to_merged = merged_index[static_cast<std::size_t>(c)];
    std::int32_t* customer = result.customer.data() + chunk.row_offset;
    for (std::size_t row = 0; row < chunk.rows_accepted; ++row) {
      customer[row] = to_merged[static_cast<std::size_t>(customer[row])];
    }
  }

  std::size_t rows = 0;
  for (Chunk const& chunk : chunks) {
    if (rows != chunk.row_offset) {
      auto move_down = [&](auto& column) {
        std::memmove(column.data() + rows, column.data() + chunk.row_offset,
                     chunk.rows_accepted * sizeof(column[0]));
      };
      move_down(result.customer);
      move_down(result.timestamp);
      move_down(result.amount);
      if (!result.order.empty()) move_down(result.order);
    }
    rows += chunk.rows_accepted;
  }
  result.customer.resize(rows);
  result.timestamp.resize(rows);
  result.amount.resize(rows);
  if (!result.order.empty()) result.order.resize(rows);
}

void write_quarantine(std::string const& path, std::optional<std::string_view> header,
                      std::vector<Chunk> const& chunks) {
  AtomicFile file(path);
  if (header) {
    file.write(*header);
    file.write("\n");
  }
  for (Chunk const& chunk : chunks) {
    for (std::string_view const line : chunk.rejected_lines) {
      file.write(line);
      file.write("\n");
    }
  }
  file.commit();
}

void check_format(TransactionsFormat const& format) {
  char const delimiter = format.delimiter;
  CIE_EXPECTS(delimiter != '"' && delimiter != '\n' && delimiter != '\r',
              "the delimiter cannot be a quote or a line break");
  CIE_EXPECTS(format.quantity_column.empty() == format.price_column.empty(),
              "quantity_column and price_column must be given together (got '{}' and '{}')",
              format.quantity_column, format.price_column);
  CIE_EXPECTS(format.bad_rows != BadRowPolicy::kQuarantine || !format.quarantine_path.empty(),
              "quarantining bad rows needs a quarantine file path");
  CIE_EXPECTS(format.cancel_prefix.empty() || !format.order_column.empty(),
              "a cancel prefix ('{}') needs an order column to look for it in",
              format.cancel_prefix);
}

/// The first non-blank line: the header, or the data line that fixes the field count.
struct FirstLine {
  std::string_view text;
  std::size_t number = 0;  ///< physical line number, from 1
  std::size_t end = 0;     ///< offset just past its line end
};

std::optional<FirstLine> find_first_line(std::string_view text, LineSplitter const& splitter) {
  std::size_t number = 0;
  for (std::size_t position = 0; position < text.size();) {
    std::string_view const line = next_line(text, position);
    ++number;
    if (!splitter.is_blank(line)) return FirstLine{line, number, position};
  }
  return std::nullopt;
}

/// Sets each chunk's line count, first line number and row offset; `release_pages` as for
/// ChunkParser.
void place_chunks(Context const& ctx, std::string_view body, std::size_t first_line_number,
                  std::vector<Chunk>& chunks, bool release_pages) {
  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
#pragma omp parallel for num_threads(ctx.threads()) schedule(static)
  for (std::ptrdiff_t c = 0; c < chunk_count; ++c) {
    Chunk& chunk = chunks[static_cast<std::size_t>(c)];
    char const* const begin = body.data() + chunk.begin;
    char const* const end = body.data() + chunk.end;
    chunk.line_count = 0;
    for (char const* part = begin; part < end; part += kReleaseBytes) {
      char const* const part_end =
          end - part > static_cast<std::ptrdiff_t>(kReleaseBytes) ? part + kReleaseBytes : end;
      chunk.line_count += static_cast<std::size_t>(std::count(part, part_end, '\n'));
      if (release_pages) release_text_pages(part, part_end);
    }
    if (begin != end && end[-1] != '\n') ++chunk.line_count;
  }
  std::size_t lines = 0;
  for (Chunk& chunk : chunks) {
    chunk.first_line = first_line_number + lines;
    chunk.row_offset = lines;
    lines += chunk.line_count;
  }
}

/// Parses every chunk; under kFail, throws the first bad row in file order.
void parse_chunks(Context const& ctx, ChunkParser const& parser, BadRowPolicy bad_rows,
                  std::vector<Chunk>& chunks) {
  auto const chunk_count = static_cast<std::ptrdiff_t>(chunks.size());
  std::atomic<std::size_t> first_failed_chunk{chunks.size()};
#pragma omp parallel for num_threads(ctx.threads()) schedule(dynamic, 1)
  for (std::ptrdiff_t c = 0; c < chunk_count; ++c) {
    auto const index = static_cast<std::size_t>(c);
    // Under kFail only the first bad row in the file matters: chunks after a failed one can stop.
    if (index > first_failed_chunk.load()) continue;
    Chunk& chunk = chunks[index];
    try {
      parser.parse(chunk);
    } catch (...) {
      chunk.failure = std::current_exception();
    }
    if (bad_rows == BadRowPolicy::kFail && !chunk.first_rejection.empty()) {
      lower_to(first_failed_chunk, index);
    }
  }
  for (Chunk const& chunk : chunks) {
    if (chunk.failure) std::rethrow_exception(chunk.failure);
    if (bad_rows == BadRowPolicy::kFail && !chunk.first_rejection.empty()) {
      throw Error(ExitCode::kInputData, chunk.first_rejection);
    }
  }
}

}  // namespace

namespace {

/// parse_transactions; `mapped`: `text` is a read-only file mapping (see release_text_pages).
/// `check_input` runs after the last read of `text` and before the quarantine file is written.
Transactions parse_text(
    Context const& ctx, std::string_view text, std::string const& source_name,
    TransactionsFormat const& format, ReadReport& report, bool mapped,
    std::function<void()> const& check_input = [] {}) {
  report = ReadReport{};
  check_format(format);
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  LineSplitter const splitter(format.delimiter);
  std::optional<FirstLine> const first_line = find_first_line(text, splitter);
  std::optional<std::string_view> header;
  if (format.has_header && first_line) header = first_line->text;
  bool const quarantine = format.bad_rows == BadRowPolicy::kQuarantine;
  Transactions result;
  if (!first_line) {
    check_input();
    if (quarantine) write_quarantine(format.quarantine_path, header, {});
    return result;
  }
  ColumnLayout const layout =
      make_layout(first_line->text, first_line->number, splitter, format, source_name);

  std::string_view const body = header ? text.substr(first_line->end) : text;
  std::vector<Chunk> chunks = cut_into_chunks(body, ctx.threads());
  place_chunks(ctx, body, header ? first_line->number + 1 : 1, chunks, mapped);
  // Rows are written in place from row_offset (a chunk has at most one row per line), so the
  // output is allocated once and never copied whole.
  std::size_t const lines = chunks.back().row_offset + chunks.back().line_count;
  result.customer.resize(lines);
  result.timestamp.resize(lines);
  result.amount.resize(lines);
  if (layout.has_order) result.order.resize(lines);
  parse_chunks(ctx, ChunkParser(body, source_name, format, layout, result, mapped), format.bad_rows,
               chunks);

  merge_chunks(ctx, chunks, result);
  check_input();
  pseudonymize_ids(result.customer_ids);
  for (Chunk const& chunk : chunks) {
    report.data_lines += chunk.data_lines;
    report.rows_rejected += chunk.rows_rejected;
    report.rows_excluded_returns += chunk.rows_excluded_returns;
    report.rows_cancelled += chunk.rows_cancelled;
    if (report.first_rejection.empty()) report.first_rejection = chunk.first_rejection;
  }
  report.rows_accepted = result.size();
  if (quarantine) write_quarantine(format.quarantine_path, header, chunks);
  return result;
}

}  // namespace

Transactions parse_transactions(Context const& ctx, std::string_view text,
                                std::string const& source_name, TransactionsFormat const& format,
                                ReadReport& report) {
  return parse_text(ctx, text, source_name, format, report, false);
}

Transactions read_transactions(Context const& ctx, std::string const& path,
                               TransactionsFormat const& format, ReadReport& report) {
  if (path == kStandardInput) {
    std::string text = read_standard_input();
    if (is_gzip(text)) text = gunzip(text, "<standard input>");
    return parse_text(ctx, text, "<standard input>", format, report, false);
  }
  return read_transactions(ctx, MappedFile(path, "transactions file"), format, report);
}

Transactions read_transactions(Context const& ctx, MappedFile const& file,
                               TransactionsFormat const& format, ReadReport& report) {
  // Whatever a damaged mapping made the parse do (zeros read as bad rows, a gzip error), the
  // damage is the error to report.
  try {
    auto const check_input = [&] { file.check_unchanged(); };
    Transactions result;
    if (is_gzip(file.text())) {
      std::string const text = gunzip(file.text(), file.path());
      check_input();
      result = parse_text(ctx, text, file.path(), format, report, false);
    } else {
      result = parse_text(ctx, file.text(), file.path(), format, report, true, check_input);
    }
    return result;
  } catch (...) {
    file.check_unchanged();
    throw;
  }
}

}  // namespace cie
