#include "host/cli/commands.hpp"
#include "host/error.hpp"

namespace cie::cli {

void TransactionsOptions::add_to(CLI::App& command) {
  command.add_option("--delimiter", delimiter,
                     "field separator: comma, semicolon, tab, whitespace (runs of spaces/tabs) or "
                     "one character")
      ->capture_default_str();
  command.add_flag("--no-header", no_header,
                   "the file has no header line; columns are 1-based positions");
  command.add_option("--id-col", id_column, "customer id column (name or 1-based position)")
      ->capture_default_str();
  command.add_option("--date-col", date_column, "date or date-time column")->capture_default_str();
  command.add_option("--amount-col", amount_column, "amount column")->capture_default_str();
  command.add_option("--quantity-col", quantity_column,
                     "quantity column: amount = quantity x unit price (needs --price-col)");
  command.add_option("--price-col", price_column, "unit price column (needs --quantity-col)");
  command.add_option("--bad-rows", bad_rows, "fail | skip | quarantine=FILE")->capture_default_str();
  command.add_option("--returns", returns,
                     "negative amounts: net (kept, netted into monetary value) | exclude")
      ->capture_default_str();
}

TransactionsFormat TransactionsOptions::to_format() const {
  TransactionsFormat format;
  if (delimiter == "comma") {
    format.delimiter = ',';
  } else if (delimiter == "semicolon") {
    format.delimiter = ';';
  } else if (delimiter == "tab" || delimiter == "\\t") {
    format.delimiter = '\t';
  } else if (delimiter == "whitespace") {
    format.delimiter = '\0';
  } else if (delimiter.size() == 1 && delimiter[0] != '"' && delimiter[0] != '\n' &&
             delimiter[0] != '\r') {
    format.delimiter = delimiter[0];
  } else {
    fail(ExitCode::kUsage,
         "--delimiter: expected comma, semicolon, tab, whitespace or one character, got '{}'",
         delimiter);
  }
  format.has_header = !no_header;
  format.id_column = id_column;
  format.date_column = date_column;
  format.amount_column = amount_column;
  CIE_EXPECTS(quantity_column.empty() == price_column.empty(),
              "--quantity-col and --price-col go together (amount = quantity x unit price)");
  format.quantity_column = quantity_column;
  format.price_column = price_column;

  if (bad_rows == "fail") {
    format.bad_rows = BadRowPolicy::kFail;
  } else if (bad_rows == "skip") {
    format.bad_rows = BadRowPolicy::kSkip;
  } else if (bad_rows.starts_with("quarantine=") && bad_rows.size() > 11) {
    format.bad_rows = BadRowPolicy::kQuarantine;
    format.quarantine_path = bad_rows.substr(11);
  } else {
    fail(ExitCode::kUsage, "--bad-rows: expected fail, skip or quarantine=FILE, got '{}'",
         bad_rows);
  }

  if (returns == "net") {
    format.returns = ReturnsPolicy::kNet;
  } else if (returns == "exclude") {
    format.returns = ReturnsPolicy::kExclude;
  } else {
    fail(ExitCode::kUsage, "--returns: expected net or exclude, got '{}'", returns);
  }
  return format;
}

}  // namespace cie::cli
