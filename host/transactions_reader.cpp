// Reading transactions: the file is cut into chunks at line ends, each chunk is parsed on its
// own thread into its slice of the output with its own id dictionary, and the dictionaries are
// then merged in chunk order, which makes every output vector independent of the thread count.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <exception>
#include <optional>

#include "host/atomic_file.hpp"
#include "host/date.hpp"
#include "host/delimited_text.hpp"
#include "host/error.hpp"
#include "host/id_dictionary.hpp"
#include "host/transactions.hpp"
#include "host/transactions_layout.hpp"

namespace cie {
namespace {

// At least 1 MiB per chunk keeps the per-chunk costs (a dictionary, a merge) small; a few chunks
// per thread even out chunks that parse at different speeds.
constexpr std::size_t kMinChunkBytes = std::size_t{1} << 20;
constexpr std::size_t kChunksPerThread = 2;
// Rows whose id lookups overlap; enough to cover a memory latency with the parsing of the others.
constexpr std::size_t kBatchRows = 16;

/// Why a data line is a bad row; turned into a message only when one is needed.
struct RowProblem {
  enum class Kind { kFieldCount, kSplit, kEmptyId, kDate, kNumber };
  Kind kind;
  std::size_t field;  ///< 0-based field; for kFieldCount, the number of fields found
  SplitError split_error = SplitError::kNone;
  std::string_view text = {};  ///< the text that could not be parsed
};

/// One row's values before the id is encoded.
struct ParsedRow {
  std::string_view id;
  std::uint64_t id_hash = 0;
  bool id_has_escapes = false;
  std::int64_t timestamp = 0;
  double amount = 0.0;
};

/// The part of the text that one thread parses, with its results.
struct Chunk {
  std::size_t begin = 0;  ///< byte range in the body, starting and ending at line starts
  std::size_t end = 0;
  std::size_t line_count = 0;
  std::size_t first_line = 0;  ///< physical line number (from 1) of the first line
  std::size_t row_offset = 0;  ///< where its rows go in the output before compaction
  std::size_t data_lines = 0;
  std::size_t rows_accepted = 0;
  std::size_t rows_rejected = 0;
  std::size_t rows_excluded_returns = 0;
  std::string first_rejection;
  std::vector<std::string_view> rejected_lines;  ///< kept for kQuarantine only
  IdDictionary ids;                              ///< local index = order of first appearance
  /// Owns ids that held "" escapes, and, when the text's pages are released as they are parsed
  /// (a mapped file), every id the dictionary keeps.
  std::deque<std::string> owned_ids;
  std::exception_ptr failure;
};

/// Parsed text is released from the process in steps of this many bytes.
constexpr std::size_t kReleaseBytes = std::size_t{16} << 20;

/// Drops the whole pages inside [begin, end) of a read-only file mapping from the process
/// (madvise MADV_DONTNEED): they stay in the page cache, and reading them again faults them back
/// in with the same bytes. Keeps the resident size near the chunks being parsed instead of the
/// whole file. Only for mappings: on heap memory it would zero the pages.
void release_text_pages(char const* begin, char const* end) noexcept {
  auto const page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::uintptr_t const first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
  std::uintptr_t const last = reinterpret_cast<std::uintptr_t>(end) / page * page;
  if (last > first) {
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);  // advice only
  }
}

class ChunkParser {
 public:
  /// `release_pages`: the body is a read-only file mapping whose pages may be dropped from the
  /// process once parsed (release_text_pages), so the file never needs to be resident whole.
  ChunkParser(std::string_view body, std::string const& source, TransactionsFormat const& format,
              ColumnLayout const& layout, Transactions& out, bool release_pages)
      : body_(body),
        source_(source),
        format_(format),
        layout_(layout),
        splitter_(format.delimiter),
        out_(out),
        release_pages_(release_pages) {}

  /// Parses the chunk into out's rows from chunk.row_offset, with local customer indices.
  /// Under kFail it stops at the chunk's first bad row.
  void parse(Chunk& chunk) const {
    std::array<std::string, kRoleCount> buffers;
    // Accepted rows wait in a batch and have their ids looked up together: each row prefetches
    // its dictionary slot on entry, so the cache misses of a batch overlap instead of adding up.
    std::array<ParsedRow, kBatchRows> batch;
    std::array<std::string, kBatchRows> escaped_ids;  // unescaped copies that outlive `buffers`
    std::size_t batched = 0;
    auto const encode_batch = [&] {
      for (std::size_t i = 0; i < batched; ++i) {
        ParsedRow& row = batch[i];
        std::int32_t customer = chunk.ids.find(row.id, row.id_hash);
        if (customer < 0) {
          if (row.id_has_escapes || release_pages_) row.id = chunk.owned_ids.emplace_back(row.id);
          customer = chunk.ids.insert(row.id, row.id_hash);
        }
        std::size_t const out_row = chunk.row_offset + chunk.rows_accepted++;
        out_.customer[out_row] = customer;
        out_.timestamp[out_row] = row.timestamp;
        out_.amount[out_row] = row.amount;
      }
      batched = 0;
    };

    std::size_t position = chunk.begin;
    std::size_t released = chunk.begin;
    for (std::size_t line_number = chunk.first_line; position < chunk.end; ++line_number) {
      if (release_pages_ && position - released >= kReleaseBytes) {
        release_text_pages(body_.data() + released, body_.data() + position);
        released = position;
      }
      std::string_view const line = next_line(body_, position);
      if (splitter_.is_blank(line)) continue;
      ++chunk.data_lines;
      ParsedRow& row = batch[batched];
      if (std::optional<RowProblem> const problem = parse_row(line, buffers, row)) {
        if (chunk.first_rejection.empty()) chunk.first_rejection = message(*problem, line_number);
        if (format_.bad_rows == BadRowPolicy::kFail) return;
        ++chunk.rows_rejected;
        if (format_.bad_rows == BadRowPolicy::kQuarantine) chunk.rejected_lines.push_back(line);
        continue;
      }
      if (row.amount < 0 && format_.returns == ReturnsPolicy::kExclude) {
        ++chunk.rows_excluded_returns;
        continue;
      }
      if (row.id_has_escapes) row.id = escaped_ids[batched].assign(row.id);
      row.id_hash = hash_id(row.id);
      chunk.ids.prefetch(row.id_hash);
      if (++batched == kBatchRows) encode_batch();
    }
    encode_batch();
    if (release_pages_) release_text_pages(body_.data() + released, body_.data() + chunk.end);
  }

 private:
  std::optional<RowProblem> parse_row(std::string_view line,
                                      std::array<std::string, kRoleCount>& buffers,
                                      ParsedRow& row) const {
    std::array<Field, kRoleCount> fields;
    std::int8_t const* const role_of_field = layout_.role_of_field.data();
    std::size_t const field_count = layout_.field_count;
    SplitResult const split = splitter_.split(line, [&](std::size_t field, Field const& value) {
      if (field < field_count && role_of_field[field] >= 0) {
        fields[static_cast<std::size_t>(role_of_field[field])] = value;
      }
    });
    if (split.error != SplitError::kNone) {
      return RowProblem{RowProblem::Kind::kSplit, split.field_count - 1, split.error};
    }
    if (split.field_count != layout_.field_count) {
      return RowProblem{RowProblem::Kind::kFieldCount, split.field_count};
    }
    double quantity = 0.0;
    double price = 0.0;
    for (Role const role : layout_.roles_in_field_order) {
      std::size_t const slot = index_of(role);
      std::string_view const text = unescape(fields[slot], buffers[slot]);
      std::size_t const field = layout_.field_of_role[slot];
      switch (role) {
        case Role::kId:
          if (text.empty()) return RowProblem{RowProblem::Kind::kEmptyId, field};
          row.id = text;
          row.id_has_escapes = fields[slot].has_escaped_quotes;
          break;
        case Role::kDate: {
          std::optional<std::int64_t> const timestamp = parse_timestamp(text);
          if (!timestamp) return RowProblem{RowProblem::Kind::kDate, field, {}, text};
          row.timestamp = *timestamp;
          break;
        }
        case Role::kAmount:
        case Role::kQuantity:
        case Role::kPrice: {
          double& value = role == Role::kAmount     ? row.amount
                          : role == Role::kQuantity ? quantity
                                                    : price;
          if (!parse_number(text, value) || !std::isfinite(value)) {
            return RowProblem{RowProblem::Kind::kNumber, field, {}, text};
          }
          break;
        }
      }
    }
    if (layout_.amount_is_product) row.amount = quantity * price;
    return std::nullopt;
  }

  [[nodiscard]] std::string message(RowProblem const& problem, std::size_t line_number) const {
    std::string reason;
    switch (problem.kind) {
      case RowProblem::Kind::kFieldCount:
        return fmt::format("{}:{}: expected {} fields, found {}", source_, line_number,
                           layout_.field_count, problem.field);
      case RowProblem::Kind::kSplit:
        reason = describe(problem.split_error);
        break;
      case RowProblem::Kind::kEmptyId:
        reason = "empty customer id";
        break;
      case RowProblem::Kind::kDate:
        reason = fmt::format(
            "cannot parse '{}' as a date (expected YYYY-MM-DD, YYYYMMDD or an ISO date-time)",
            problem.text);
        break;
      case RowProblem::Kind::kNumber:
        reason = fmt::format("cannot parse '{}' as a number", problem.text);
        break;
    }
    return fmt::format("{}:{}: column {} ({}): {}", source_, line_number, problem.field + 1,
                       layout_.column_name(problem.field), reason);
  }

  std::string_view body_;
  std::string const& source_;
  TransactionsFormat const& format_;
  ColumnLayout const& layout_;
  LineSplitter splitter_;
  Transactions& out_;
  bool release_pages_;
};

/// Cuts the body at line ends into a few chunks per thread of at least kMinChunkBytes each.
std::vector<Chunk> cut_into_chunks(std::string_view body, int threads) {
  std::size_t const count = std::clamp<std::size_t>(
      body.size() / kMinChunkBytes, 1, static_cast<std::size_t>(threads) * kChunksPerThread);
  std::vector<Chunk> chunks(count);
  std::size_t begin = 0;
  for (std::size_t c = 0; c < count; ++c) {
    std::size_t end = body.size();
    if (c + 1 < count) {
      end = std::max(begin, body.size() / count * (c + 1));
      auto const* newline =
          static_cast<char const*>(std::memchr(body.data() + end, '\n', body.size() - end));
      end = newline != nullptr ? static_cast<std::size_t>(newline - body.data()) + 1 : body.size();
    }
    chunks[c].begin = begin;
    chunks[c].end = end;
    begin = end;
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
    }
    rows += chunk.rows_accepted;
  }
  result.customer.resize(rows);
  result.timestamp.resize(rows);
  result.amount.resize(rows);
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

/// A whole file mapped read-only into memory.
class MappedFile {
 public:
  explicit MappedFile(std::string const& path) {
    int const descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) {
      fail(ExitCode::kUsage, "cannot open transactions file {}: {}", path, std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(descriptor, &info) != 0 || !S_ISREG(info.st_mode)) {
      ::close(descriptor);
      fail(ExitCode::kUsage, "cannot read transactions file {}: not a regular file", path);
    }
    size_ = static_cast<std::size_t>(info.st_size);
    if (size_ > 0) {
      void* const data = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, descriptor, 0);
      int const error = errno;
      ::close(descriptor);
      if (data == MAP_FAILED) {
        fail(ExitCode::kUsage, "cannot map transactions file {}: {}", path, std::strerror(error));
      }
      // Threads start on all chunks at once: ask for the whole file rather than read-ahead.
      ::madvise(data, size_, MADV_WILLNEED);
      data_ = static_cast<char const*>(data);
    } else {
      ::close(descriptor);
    }
  }
  MappedFile(MappedFile const&) = delete;
  MappedFile& operator=(MappedFile const&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }

  [[nodiscard]] std::string_view text() const noexcept { return {data_, size_}; }

 private:
  char const* data_ = nullptr;
  std::size_t size_ = 0;
};

void check_format(TransactionsFormat const& format) {
  char const delimiter = format.delimiter;
  CIE_EXPECTS(delimiter != '"' && delimiter != '\n' && delimiter != '\r',
              "the delimiter cannot be a quote or a line break");
  CIE_EXPECTS(format.quantity_column.empty() == format.price_column.empty(),
              "quantity_column and price_column must be given together (got '{}' and '{}')",
              format.quantity_column, format.price_column);
  CIE_EXPECTS(format.bad_rows != BadRowPolicy::kQuarantine || !format.quarantine_path.empty(),
              "quarantining bad rows needs a quarantine file path");
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
      char const* const part_end = end - part > static_cast<std::ptrdiff_t>(kReleaseBytes)
                                       ? part + kReleaseBytes
                                       : end;
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
Transactions parse_text(Context const& ctx, std::string_view text, std::string const& source_name,
                        TransactionsFormat const& format, ReadReport& report, bool mapped) {
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
  parse_chunks(ctx, ChunkParser(body, source_name, format, layout, result, mapped), format.bad_rows,
               chunks);

  merge_chunks(ctx, chunks, result);
  for (Chunk const& chunk : chunks) {
    report.data_lines += chunk.data_lines;
    report.rows_rejected += chunk.rows_rejected;
    report.rows_excluded_returns += chunk.rows_excluded_returns;
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
  MappedFile const file(path);
  return parse_text(ctx, file.text(), path, format, report, true);
}

}  // namespace cie
