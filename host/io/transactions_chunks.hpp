// One chunk of a transactions file (a run of whole lines) and its parser: the lines are parsed on
// one thread into the chunk's slice of the output, with local customer indices from the chunk's
// own id dictionary. host/io/transactions_reader.cpp cuts the file into chunks, parses them in
// parallel and merges the dictionaries in chunk order.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date_format.hpp"
#include "core/id_dictionary.hpp"
#include "host/io/delimited_text.hpp"
#include "host/io/transactions_layout.hpp"
#include "host/io/transactions_reader.hpp"

namespace cie {

/// Parsed text is released from the process in steps of this many bytes.
constexpr std::size_t kReleaseBytes = std::size_t{16} << 20;

/// Drops the whole pages inside [begin, end) of a read-only file mapping from the process
/// (madvise MADV_DONTNEED): they stay in the page cache, and reading them again faults them back
/// in with the same bytes. Keeps the resident size near the chunks being parsed instead of the
/// whole file. Only for mappings: on heap memory it would zero the pages.
void release_text_pages(char const* begin, char const* end) noexcept;

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
  std::size_t rows_cancelled = 0;
  std::string first_rejection;
  std::vector<std::string_view> rejected_lines;  ///< kept for kQuarantine only
  IdDictionary ids;                              ///< local index = order of first appearance
  /// Owns ids that held "" escapes, and, when the text's pages are released as they are parsed
  /// (a mapped file), every id the dictionary keeps.
  std::deque<std::string> owned_ids;
  std::exception_ptr failure;
};

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
        release_pages_(release_pages) {
    if (!format.date_format.empty()) {
      date_format_ = DateFormat::compile(format.date_format, "date format");
    }
  }

  /// Parses the chunk into out's rows from chunk.row_offset, with local customer indices.
  /// Under kFail it stops at the chunk's first bad row.
  void parse(Chunk& chunk) const;

 private:
  std::string_view body_;
  std::string const& source_;
  TransactionsFormat const& format_;
  ColumnLayout const& layout_;
  LineSplitter splitter_;
  Transactions& out_;
  bool release_pages_;
  std::optional<DateFormat> date_format_;
};

}  // namespace cie
