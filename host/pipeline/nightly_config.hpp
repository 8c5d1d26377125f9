// The configuration of the nightly run (`cie run nightly.toml`), read and checked before any heavy
// work. datasets/nightly.toml is the documented sample. The run owns [run], [inputs] and
// [output] (read here); every other section belongs to the stage that reads it (the stage list in
// host/pipeline/nightly.cpp, one file per stage in host/pipeline/stages/, each documenting its
// keys):
//
//   [run]         as_of = "2026-01-01" (optional; default the day after the last transaction)
//                 device = "auto" | "cpu" | "cuda" | "cuda:N"     threads = 0     seed = 42
//                 memory_limit = "4GiB"  (host memory budget; default 75% of physical memory)
//   [inputs]      transactions = "FILE" (required)
//                 delimiter, no_header, id_col, date_col, date_format, amount_col, quantity_col,
//                 price_col, order_col, cancel_prefix, bad_rows, returns: as the `cie rfm`
//                 options of the same names (--id-col: id_col)
//                 attributes = "FILE" (optional customer attributes, joined on the id) with
//                 attributes_delimiter and attributes_id_col
//   [rfm]         the rfm stage (stages/rfm.cpp): score_bins, frequency, monetary, ties, segments
//   [segments]    the segments stage (stages/segments.cpp): model, or retrain with k, features,
//                 transforms, n_init, max_iter, refine
//   [[propensity]] (stages/propensity.cpp) and [[uplift]] (stages/uplift.cpp): name, model
//   [clv]         the clv stage (stages/clv.cpp): model, horizon, clv_months, discount_rate, margin
//   [offers]      the offers stage (stages/offers.cpp): catalog, history, max_iterations, tolerance
//   [output]      directory = "DIR" (required), customers = "customers.csv",
//                 report = "run_report.json"
//
// Key names follow one rule: a key is the command-line option that sets the same thing, without
// its leading "--" and with '_' for '-' (--id-col: id_col, --n-init: n_init, --as-of: as_of);
// the attributes file's reader keys carry the prefix attributes_. A key under its old name
// (id_column, date_column, amount_column, quantity_column, price_column, order_column,
// attributes_id_column) is refused with the new name.
//
// Relative paths are relative to the directory of the TOML file. Every problem (TOML syntax, an
// unknown key, a wrong type, a missing file, a bad value, two propensity models with one name,
// a model file that is damaged or of another kind) is a usage error (exit 2) naming the file, the
// line where known and the key. Unknown keys are all reported at once, in file order, each with a
// did-you-mean when a known key of its section is close (core/toml_support.hpp: closest_name) or
// the section it belongs in when it is another section's key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/io/output_paths.hpp"
#include "host/io/transactions_reader.hpp"

namespace cie {

class NightlyStage;

struct NightlyConfig {
  std::string source;  ///< the TOML file
  // [run]
  std::optional<std::int32_t> as_of_day;
  std::string device = "auto";
  int threads = 0;
  std::uint64_t seed = 42;
  std::size_t memory_limit_bytes = 0;  ///< 0: the Context default
  // [inputs]
  std::string transactions;
  TransactionsFormat transactions_format;
  std::string attributes;  ///< "" for none
  char attributes_delimiter = ',';
  std::string attributes_id_column = "customer_id";
  // [output]
  std::string output_directory;
  std::string customers_file = "customers.csv";
  std::string report_file = "run_report.json";
  /// Wait for another run on the same output directory to finish (`cie run --wait`) instead of
  /// failing at once.
  bool wait_for_lock = false;

  /// The run's stages in run order, each configured from its section (host/pipeline/nightly.cpp).
  std::vector<std::shared_ptr<NightlyStage>> stages;
  /// Files the stages read (tables, models), named by their settings: the run checks that no
  /// output replaces one and that none lives in the output directory.
  std::vector<NamedPath> stage_inputs;
  /// Files the stages publish tonight in the output directory beside the customers file.
  std::vector<NamedPath> stage_outputs;
  /// Every file name a stage of the list may publish (tonight or on an earlier night): the output
  /// directory may hold these besides the customers file and the report.
  std::vector<std::string> published_names;
};

/// Parses `text` (the TOML file `source`), resolving relative paths against its directory, checks
/// that every input file exists and configures the stages. Does not open model files (the stages'
/// checks do).
NightlyConfig parse_nightly_config(std::string const& text, std::string const& source);

/// Reads and parses `path`.
NightlyConfig read_nightly_config(std::string const& path);

}  // namespace cie
