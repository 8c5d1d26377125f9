#include "core/date_format.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/io/delimited_text.hpp"

namespace cie::cli {

void TransactionsOptions::add_to(CLI::App& command) {
  command
      .add_option("--delimiter", delimiter,
                  "field separator: comma, semicolon, tab, whitespace (runs of spaces/tabs) or "
                  "one character")
      ->capture_default_str();
  command.add_flag("--no-header", no_header,
                   "the file has no header line; columns are 1-based positions");
  command.add_option("--id-col", id_column, "customer id column (name or 1-based position)")
      ->capture_default_str();
  command.add_option("--date-col", date_column, "date or date-time column")->capture_default_str();
  command.add_option("--date-format", date_format,
                     "strftime-style date format, e.g. \"%m/%d/%Y %H:%M\" (%Y %y %m %d %H %M %S "
                     "%b %%); default: ISO dates and date-times");
  command.add_option("--amount-col", amount_column, "amount column")->capture_default_str();
  command.add_option("--quantity-col", quantity_column,
                     "quantity column: amount = quantity x unit price (needs --price-col)");
  command.add_option("--price-col", price_column, "unit price column (needs --quantity-col)");
  command.add_option("--order-col", order_column,
                     "order (invoice) id column: purchases are counted per order");
  command.add_option("--cancel-prefix", cancel_prefix,
                     "order ids starting with this prefix are cancellations (needs --order-col)");
  command.add_option("--bad-rows", bad_rows, "fail | skip | quarantine=FILE")
      ->capture_default_str();
  command
      .add_option("--returns", returns,
                  "returns (negative amounts, cancelled orders): net (netted into monetary "
                  "value, never a purchase) | exclude")
      ->capture_default_str();
}

TransactionsFormat TransactionsOptions::to_format() const {
  TransactionsFormat format;
  format.delimiter = parse_delimiter(delimiter, "--delimiter");
  format.has_header = !no_header;
  format.id_column = id_column;
  format.date_column = date_column;
  if (!date_format.empty())
    (void)DateFormat::compile(date_format, "--date-format");  // checked early
  format.date_format = date_format;
  format.amount_column = amount_column;
  CIE_EXPECTS(quantity_column.empty() == price_column.empty(),
              "--quantity-col and --price-col go together (amount = quantity x unit price)");
  format.quantity_column = quantity_column;
  format.price_column = price_column;
  CIE_EXPECTS(cancel_prefix.empty() || !order_column.empty(),
              "--cancel-prefix needs --order-col (the column whose ids carry the prefix)");
  format.order_column = order_column;
  format.cancel_prefix = cancel_prefix;

  set_bad_rows(format, bad_rows, "--bad-rows");
  set_returns(format, returns, "--returns");
  return format;
}

}  // namespace cie::cli
