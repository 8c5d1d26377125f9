// Parsing one chunk of a transactions file: each data line is split, its needed fields are
// parsed into a row, and accepted rows have their ids encoded against the chunk's dictionary in
// batches; bad rows become messages, counts and (for kQuarantine) kept lines.
#include "host/io/transactions_chunks.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sys/mman.h>
#include <unistd.h>

#include "core/date.hpp"
#include "core/privacy.hpp"

namespace cie {
namespace {

// Rows whose id lookups overlap; enough to cover a memory latency with the parsing of the others.
constexpr std::size_t kBatchRows = 16;

/// Why a data line is a bad row; turned into a message only when one is needed.
struct RowProblem {
  enum class Kind { kFieldCount, kSplit, kEmptyId, kEmptyOrder, kDate, kNumber };
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
  std::uint64_t order_hash = 0;
  bool cancelled = false;  ///< the order id has the cancel prefix
};

/// Parses the needed fields of a data line into `row`, or says why it is a bad row.
std::optional<RowProblem> parse_row(ColumnLayout const& layout, LineSplitter const& splitter,
                                    std::string_view cancel_prefix, DateFormat const* date_format,
                                    std::string_view line,
                                    std::array<std::string, kRoleCount>& buffers, ParsedRow& row) {
  std::array<Field, kRoleCount> fields;
  std::int8_t const* const role_of_field = layout.role_of_field.data();
  std::size_t const field_count = layout.field_count;
  SplitResult const split = splitter.split(line, [&](std::size_t field, Field const& value) {
    if (field < field_count && role_of_field[field] >= 0) {
      fields[static_cast<std::size_t>(role_of_field[field])] = value;
    }
  });
  if (split.error != SplitError::kNone) {
    return RowProblem{RowProblem::Kind::kSplit, split.field_count - 1, split.error};
  }
  if (split.field_count != layout.field_count) {
    return RowProblem{RowProblem::Kind::kFieldCount, split.field_count};
  }
  double quantity = 0.0;
  double price = 0.0;
  for (Role const role : layout.roles_in_field_order) {
    std::size_t const slot = index_of(role);
    std::string_view const text = unescape(fields[slot], buffers[slot]);
    std::size_t const field = layout.field_of_role[slot];
    switch (role) {
      case Role::kId:
        if (text.empty()) return RowProblem{RowProblem::Kind::kEmptyId, field};
        row.id = text;
        row.id_has_escapes = fields[slot].has_escaped_quotes;
        break;
      case Role::kOrder:
        if (text.empty()) return RowProblem{RowProblem::Kind::kEmptyOrder, field};
        row.order_hash = hash_id(text);
        row.cancelled = !cancel_prefix.empty() && text.starts_with(cancel_prefix);
        break;
      case Role::kDate: {
        std::optional<std::int64_t> const timestamp =
            date_format != nullptr ? date_format->parse(text) : parse_timestamp(text);
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
  if (layout.amount_is_product) row.amount = quantity * price;
  if (row.cancelled) row.amount = -std::fabs(row.amount);
  return std::nullopt;
}

/// The message for a bad row, "FILE:LINE: ..." as documented for read_transactions.
[[nodiscard]] std::string message(std::string const& source, ColumnLayout const& layout,
                                  DateFormat const* date_format, RowProblem const& problem,
                                  std::size_t line_number) {
  std::string reason;
  switch (problem.kind) {
    case RowProblem::Kind::kFieldCount:
      return fmt::format("{}:{}: expected {} fields, found {}", source, line_number,
                         layout.field_count, problem.field);
    case RowProblem::Kind::kSplit:
      reason = describe(problem.split_error);
      break;
    case RowProblem::Kind::kEmptyId:
      reason = "empty customer id";
      break;
    case RowProblem::Kind::kEmptyOrder:
      reason = "empty order id";
      break;
    case RowProblem::Kind::kDate:
      reason = date_format != nullptr
                   ? fmt::format("cannot parse {} as a date in the format '{}'",
                                 message_value(problem.text), date_format->text())
                   : fmt::format(
                         "cannot parse {} as a date (expected YYYY-MM-DD, YYYYMMDD or "
                         "an ISO date-time; see --date-format)",
                         message_value(problem.text));
      break;
    case RowProblem::Kind::kNumber:
      reason = fmt::format("cannot parse {} as a number", message_value(problem.text));
      break;
  }
  return fmt::format("{}:{}: column {} ({}): {}", source, line_number, problem.field + 1,
                     layout.column_name(problem.field), reason);
}

}  // namespace

void release_text_pages(char const* begin, char const* end) noexcept {
  auto const page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  std::uintptr_t const first = (reinterpret_cast<std::uintptr_t>(begin) + page - 1) / page * page;
  std::uintptr_t const last = reinterpret_cast<std::uintptr_t>(end) / page * page;
  if (last > first) {
    ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);  // advice only
  }
}

void ChunkParser::parse(Chunk& chunk) const {
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
      if (layout_.has_order) out_.order[out_row] = row.order_hash;
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
    if (std::optional<RowProblem> const problem =
            parse_row(layout_, splitter_, format_.cancel_prefix,
                      date_format_ ? &*date_format_ : nullptr, line, buffers, row)) {
      if (chunk.first_rejection.empty()) {
        chunk.first_rejection = message(source_, layout_, date_format_ ? &*date_format_ : nullptr,
                                        *problem, line_number);
      }
      if (format_.bad_rows == BadRowPolicy::kFail) return;
      ++chunk.rows_rejected;
      if (format_.bad_rows == BadRowPolicy::kQuarantine) chunk.rejected_lines.push_back(line);
      continue;
    }
    if (row.cancelled) ++chunk.rows_cancelled;
    if (std::signbit(row.amount) && format_.returns == ReturnsPolicy::kExclude) {
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

}  // namespace cie
