// The entry points of cie's fuzz targets: one function per parser of outside input, each taking
// arbitrary bytes. A cie::Error (a clear refusal with an exit code) is the expected answer to bad
// bytes; any other exception, a crash, a sanitizer report or a hang is a finding.
//
// tests/fuzz/fuzz_main.cpp wraps each in LLVMFuzzerTestOneInput (scripts/fuzz.sh builds them
// with clang's libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer and runs them for a
// bounded time in CI); tests/fuzz/test_fuzz_corpus.cpp runs every file of the seed corpora
// (tests/fuzz/corpus/<target>/, which also keeps each crash found, as a regression) through the
// same functions in the ordinary test suite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cie::fuzz {

/// Transactions text under a format chosen by the first byte (delimiter, header, quantity ×
/// price columns, bad-row policy).
void transactions(std::uint8_t const* data, std::size_t size);
/// A customer table, every column read with inferred types, then with the second column forced
/// categorical.
void customer_table(std::uint8_t const* data, std::size_t size);
/// A nightly configuration (TOML); file paths in it need not exist.
void nightly_config(std::uint8_t const* data, std::size_t size);
/// A model file of each kind, parsed and then turned into its model.
void model_file(std::uint8_t const* data, std::size_t size);
/// Dates and timestamps.
void date(std::uint8_t const* data, std::size_t size);

/// The target called `name` ("transactions", "customer_table", "nightly_config", "model_file",
/// "date"), or nullptr.
using Target = void (*)(std::uint8_t const*, std::size_t);
Target target_named(std::string_view name);

}  // namespace cie::fuzz
