// The `cie` command line: options shared by every subcommand, and one add_*_command function per
// subcommand (each in host/cli/<name>_command.cpp). A command reports failures by throwing
// cie::Error; main() turns them into messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/context.hpp"
#include "host/io/transactions_reader.hpp"

namespace cie::cli {

struct GlobalOptions {
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  int threads = 0;              ///< 0 = all cores
  std::uint64_t seed = 42;
  std::string log_level = "info";
};

/// Command-line spelling of a TransactionsFormat (shared by every command that reads
/// transactions).
struct TransactionsOptions {
  std::string delimiter = "comma";  ///< comma | semicolon | tab | whitespace | one character
  bool no_header = false;
  std::string id_column = "customer_id";
  std::string date_column = "date";
  std::string date_format;
  std::string amount_column = "amount";
  std::string quantity_column;
  std::string price_column;
  std::string order_column;
  std::string cancel_prefix;
  std::string bad_rows = "fail";  ///< fail | skip | quarantine=FILE
  std::string returns = "net";    ///< net | exclude

  /// Registers --delimiter, --no-header, --id-col, --date-col, --date-format, --amount-col,
  /// --quantity-col,
  /// --price-col, --order-col, --cancel-prefix, --bad-rows and --returns on `command`.
  void add_to(CLI::App& command);
  /// Converts to a TransactionsFormat; a usage error (exit 2) for a value it cannot take.
  [[nodiscard]] TransactionsFormat to_format() const;
};

/// The non-empty parts of `text` between separators: "a,,b" gives {"a", "b"}.
std::vector<std::string> split_list(std::string_view text, char separator = ',');
/// "COLUMN=VALUE,..." as a map (a repeated column: the last value wins); an entry without '=' or
/// without a column is a usage error "OPTION: expected COLUMN=NOUN, got 'ENTRY'".
std::map<std::string, std::string, std::less<>> parse_assignments(std::string_view text,
                                                                  std::string_view option,
                                                                  std::string_view noun);

/// Builds the run's Context from the global options (resolving --device auto).
Context make_context(GlobalOptions const& global);

void add_gen_command(CLI::App& app, GlobalOptions const& global);
void add_rfm_command(CLI::App& app, GlobalOptions const& global);
void add_segment_command(CLI::App& app, GlobalOptions const& global);
void add_propensity_command(CLI::App& app, GlobalOptions const& global);
void add_clv_command(CLI::App& app, GlobalOptions const& global);
void add_campaign_command(CLI::App& app, GlobalOptions const& global);
void add_uplift_command(CLI::App& app, GlobalOptions const& global);
void add_offers_command(CLI::App& app, GlobalOptions const& global);
/// `app` is needed to tell which global options were given (they override the configuration).
void add_run_command(CLI::App& app, GlobalOptions const& global);

}  // namespace cie::cli
