#include "tests/fuzz/fuzz_targets.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/context.hpp"
#include "core/date.hpp"
#include "core/error.hpp"
#include "host/io/customer_table_reader.hpp"
#include "host/io/model_file.hpp"
#include "host/io/transactions_reader.hpp"
#include "host/pipeline/nightly_config.hpp"
#include "models/propensity/propensity.hpp"
#include "models/segments/segment_model.hpp"

namespace cie::fuzz {
namespace {

std::string_view text_of(std::uint8_t const* data, std::size_t size) {
  return {reinterpret_cast<char const*>(data), size};
}

/// Runs `parse`; a cie::Error with a user-facing exit code is the expected answer to bad input.
/// An internal error (a failed CIE_ASSERT) is a finding: abort, so the fuzzer reports it.
template <typename Parse>
void refusing_bad_input(Parse&& parse) {
  try {
    parse();
  } catch (Error const& error) {
    if (error.code() == ExitCode::kInternal) {
      std::fprintf(stderr, "internal error on fuzz input: %s\n", error.what());
      std::abort();
    }
  }
}

}  // namespace

void transactions(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return;
  std::uint8_t const choice = data[0];
  std::string_view const text = text_of(data + 1, size - 1);
  TransactionsFormat format;
  format.delimiter = (choice & 1) != 0 ? '\0' : ((choice & 2) != 0 ? ';' : ',');
  format.has_header = (choice & 4) == 0;
  if (!format.has_header) {
    format.id_column = "1";
    format.date_column = "2";
    format.amount_column = "3";
  }
  if ((choice & 8) != 0 && format.has_header) {
    format.quantity_column = "quantity";
    format.price_column = "price";
  }
  format.bad_rows = (choice & 16) != 0 ? BadRowPolicy::kSkip : BadRowPolicy::kFail;
  format.returns = (choice & 32) != 0 ? ReturnsPolicy::kExclude : ReturnsPolicy::kNet;
  Context const ctx = Context::cpu((choice & 64) != 0 ? 2 : 1);
  refusing_bad_input([&] {
    ReadReport report;
    Transactions const result = parse_transactions(ctx, text, "fuzz.csv", format, report);
    CIE_ASSERT(result.customer.size() == result.timestamp.size() &&
               result.customer.size() == result.amount.size());
  });
}

void customer_table(std::uint8_t const* data, std::size_t size) {
  std::string_view const text = text_of(data, size);
  refusing_bad_input([&] {
    CustomerTableRequest request;
    CustomerTable const table = parse_customer_table(text, "fuzz.csv", request);
    for (TableColumn const& column : table.columns) {
      CIE_ASSERT(column.missing.size() == table.rows());
    }
  });
  refusing_bad_input([&] {
    CustomerTableRequest request;
    request.id_column = "";
    request.categorical = {"b"};
    request.delimiter = ';';
    (void)parse_customer_table(text, "fuzz.csv", request);
  });
}

void nightly_config(std::uint8_t const* data, std::size_t size) {
  std::string const text(text_of(data, size));
  refusing_bad_input([&] { (void)parse_nightly_config(text, "/nonexistent/fuzz.toml"); });
}

void model_file(std::uint8_t const* data, std::size_t size) {
  std::string_view const text = text_of(data, size);
  refusing_bad_input([&] {
    ModelDocument const document = parse_model_file(text, "fuzz.json", kSegmentModelKind);
    (void)SegmentModel::from_document(document, "fuzz.json");
  });
  refusing_bad_input([&] {
    ModelDocument const document = parse_model_file(text, "fuzz.json", "propensity");
    (void)PropensityModel::from_document(document, "fuzz.json");
  });
}

void date(std::uint8_t const* data, std::size_t size) {
  std::string_view const text = text_of(data, size);
  if (std::optional<std::int32_t> const day = parse_date(text)) {
    // A date that parses formats back to a date that parses to the same day.
    CIE_ASSERT(parse_date(format_date(*day)) == day);
  }
  (void)parse_timestamp(text);
}

Target target_named(std::string_view name) {
  if (name == "transactions") return &transactions;
  if (name == "customer_table") return &customer_table;
  if (name == "nightly_config") return &nightly_config;
  if (name == "model_file") return &model_file;
  if (name == "date") return &date;
  return nullptr;
}

}  // namespace cie::fuzz
