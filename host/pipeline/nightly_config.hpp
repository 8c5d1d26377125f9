// The configuration of the nightly run (`cie run nightly.toml`), read and checked before any heavy
// work. datasets/nightly.toml is the documented sample; its form:
//
//   [run]         as_of = "2026-01-01" (optional; default the day after the last transaction)
//                 device = "auto" | "cpu" | "cuda" | "cuda:N"     threads = 0     seed = 42
//                 memory_limit = "4GiB"  (host memory budget; default 75% of physical memory)
//   [inputs]      transactions = "FILE" (required)
//                 attributes = "FILE" (optional customer attributes, joined on the id)
//                 delimiter, id_column, date_column, date_format, amount_column, quantity_column,
//                 price_column, order_column, cancel_prefix, bad_rows, returns: as the
//                 `cie rfm` options of the same names (transactions); attributes_delimiter,
//                 attributes_id_column for the attributes file
//   [rfm]         score_bins = 5, frequency = "days" | "transactions" | "orders" (default orders
//                 with an order_column, else days), monetary = "total" | "mean",
//                 ties = "equal" | "first" (as `cie rfm --ties`),
//                 segments = "FILE" (optional; default the standard table, or none: scores
//                 without segment names for a bin count without one)
//   [segments]    (optional) model = "FILE" to apply a saved k-means model, or retrain = true with
//                 k, features, transforms, n_init, max_iter, refine ("hartigan" | "none"): fits
//                 on tonight's RFM table and publishes the model beside the outputs as
//                 segments_model.json; names = "FILE" (optional, either way): cluster names
//                 that replace the profile names, as `cie segment fit --cluster-names`
//   [[propensity]] (0 or more) name = "spring" (letters, digits, '_'), model = "FILE"
//   [clv]         (optional) model = "FILE" (a `cie clv fit` model, not BG/BB), horizon = 52 (in
//                 the model's time unit), clv_months = 12, discount_rate = 0.01 (a month),
//                 margin = 1.0: adds p_alive, expected_purchases, expected_value, clv
//   [[uplift]]     (0 or more) name, model: an uplift model (cie uplift train), as [[propensity]]
//   [output]      directory = "DIR" (required), customers = "customers.csv",
//                 report = "run_report.json"
//
// Relative paths are relative to the directory of the TOML file. Every problem (TOML syntax, an
// unknown key, a wrong type, a missing file, a bad value, two propensity models with one name,
// a model file that is damaged or of another kind) is a usage error (exit 2) naming the file, the
// line where known and the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/io/transactions_reader.hpp"
#include "models/segments/kmeans.hpp"
#include "models/rfm/rfm.hpp"

namespace cie {

struct NightlySegments {
  bool enabled = false;
  std::string model;  ///< a k-means model file to apply, or "" with retrain
  bool retrain = false;
  int k = 6;
  std::vector<std::string> features = {"recency_days", "frequency", "monetary_total"};
  std::vector<std::string> transforms;  ///< one per feature; "" = the RFM default
  int n_init = 3;
  int max_iter = 300;
  KMeansRefine refine = KMeansRefine::kHartigan;
  std::string names;  ///< a cluster names file (host/io/cluster_names_file.hpp), or ""
};

struct NightlyPropensity {
  std::string name;
  std::string model;
};

struct NightlyClv {
  bool enabled = false;
  std::string model;
  double horizon = 52.0;
  int clv_months = 12;
  double discount_rate = 0.01;
  double margin = 1.0;
};

/// An [[uplift]] model (cie uplift train): NAME_uplift and NAME_uplift_decile per customer.
struct NightlyUplift {
  std::string name;
  std::string model;
};

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
  // [rfm]
  RfmParams rfm;
  std::string segment_table;  ///< "" for the standard table
  // [segments], [[propensity]]
  NightlySegments segments;
  std::vector<NightlyPropensity> propensity;
  // [clv]
  NightlyClv clv;
  std::vector<NightlyUplift> uplift;  ///< [[uplift]], same keys as [[propensity]]
  // [output]
  std::string output_directory;
  std::string customers_file = "customers.csv";
  std::string report_file = "run_report.json";
  /// Wait for another run on the same output directory to finish (`cie run --wait`) instead of
  /// failing at once.
  bool wait_for_lock = false;
};

/// Parses `text` (the TOML file `source`), resolving relative paths against its directory, and
/// checks that every input file exists. Does not open model files (load_nightly_models does).
NightlyConfig parse_nightly_config(std::string const& text, std::string const& source);

/// Reads and parses `path`.
NightlyConfig read_nightly_config(std::string const& path);

}  // namespace cie
