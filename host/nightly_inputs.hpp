// The nightly run's inputs beyond the transactions: the segment table and model files, loaded and
// checked against the columns they need before any heavy work; the attributes file; and the
// report's JSON pieces (host/nightly.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/customer_table.hpp"
#include "host/model_file.hpp"
#include "host/nightly_config.hpp"
#include "host/progress.hpp"
#include "host/transactions.hpp"
#include "models/propensity.hpp"
#include "models/rfm.hpp"
#include "models/rfm_segments.hpp"
#include "models/segment_model.hpp"

namespace cie {

struct LoadedPropensity {
  std::string name;
  std::string path;
  ModelDocument document;
  PropensityModel model;
};

struct NightlyInputs {
  SegmentTable segment_table;
  std::optional<SegmentModel> segment_model;  ///< a saved model ([segments] model)
  std::string segment_model_checksum;
  std::vector<LoadedPropensity> propensity;
  std::vector<std::string> attribute_columns;  ///< the attributes file's header, id excluded
  /// Every column some model reads (RFM or attribute), in first-use order: the run builds and
  /// reads only these.
  std::vector<std::string> needed_columns;
};

/// Loads the segment table and every model file, and checks that each model's input columns are
/// among the RFM columns and the attributes file's header (usage errors, exit 2, naming the model
/// file, the missing columns and the columns there are).
NightlyInputs load_nightly_inputs(NightlyConfig const& config);

/// Reads the attributes file, with the column types the propensity models expect.
CustomerTable read_attributes(NightlyConfig const& config, NightlyInputs const& inputs);

/// {"path", "bytes", "xxh64", ...counts}: what the report says about one input file.
nlohmann::json input_file_json(std::string const& path, ReadReport const& read);
nlohmann::json input_file_json(std::string const& path, std::size_t rows);
nlohmann::json model_json(LoadedPropensity const& loaded);
/// Customers and revenue per RFM segment over the given RFM rows.
nlohmann::json rfm_segment_json(RfmTable const& rfm, SegmentTable const& segments,
                                std::vector<std::size_t> const& rows);
nlohmann::json stages_json(std::vector<StageTiming> const& stages);

}  // namespace cie
