#include "host/nightly_inputs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <xxhash.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>

#include "host/delimited_text.hpp"
#include "host/error.hpp"
#include "host/rfm_output.hpp"
#include "host/text_file.hpp"

namespace cie {
namespace {

using nlohmann::json;

/// The header of a delimited file, without reading the rest.
std::vector<std::string> read_header(std::string const& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  CIE_EXPECTS(in && std::getline(in, line), "{}: cannot read the header line", path);
  if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> names;
  std::string buffer;
  SplitResult const split = LineSplitter(delimiter).split(
      line, [&](std::size_t, Field const& field) { names.emplace_back(unescape(field, buffer)); });
  CIE_EXPECTS_DATA(split.error == SplitError::kNone, "{}:1: {}", path, describe(split.error));
  return names;
}

/// Checks that `needed` columns are all in `available`.
void check_columns(std::vector<std::string> const& needed, std::set<std::string> const& available,
                   std::string const& what, NightlyConfig const& config,
                   std::vector<std::string>& needed_columns) {
  for (std::string const& name : needed) {
    if (std::find(needed_columns.begin(), needed_columns.end(), name) == needed_columns.end()) {
      needed_columns.push_back(name);
    }
  }
  std::vector<std::string> missing;
  for (std::string const& name : needed) {
    if (!available.contains(name)) missing.push_back(name);
  }
  CIE_EXPECTS(missing.empty(),
              "{}: {} needs {} {}, which neither the RFM table nor {} has; the columns are: {}",
              config.source, what, missing.size() == 1 ? "column" : "columns",
              fmt::join(missing, ", "),
              config.attributes.empty() ? std::string("an attributes file (none is configured)")
                                        : config.attributes,
              fmt::join(available, ", "));
}

std::string file_xxh64(std::string const& path, std::size_t& bytes) {
  std::ifstream in(path, std::ios::binary);
  CIE_EXPECTS(in.good(), "cannot read {}", path);
  std::unique_ptr<XXH64_state_t, decltype(&XXH64_freeState)> state(XXH64_createState(),
                                                                    &XXH64_freeState);
  XXH64_reset(state.get(), 0);
  std::vector<char> buffer(std::size_t{4} << 20);
  bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto const got = static_cast<std::size_t>(in.gcount());
    XXH64_update(state.get(), buffer.data(), got);
    bytes += got;
  }
  return fmt::format("{:016x}", XXH64_digest(state.get()));
}

/// Runs `load`, prefixing the message of a failure with where the configuration names the file.
template <typename Load>
auto naming(NightlyConfig const& config, std::string const& key, Load&& load) {
  try {
    return load();
  } catch (Error const& error) {
    throw Error(error.code(), fmt::format("{}: {}: {}", config.source, key, error.what()));
  }
}

}  // namespace

NightlyInputs load_nightly_inputs(NightlyConfig const& config) {
  NightlyInputs inputs;
  inputs.segment_table = naming(config, "[rfm] segments", [&] {
    return config.segment_table.empty()
               ? SegmentTable::standard(config.rfm.score_bins)
               : SegmentTable::from_toml(read_text_file(config.segment_table),
                                         config.segment_table);
  });
  CIE_EXPECTS(inputs.segment_table.score_bins() == config.rfm.score_bins,
              "{}: [rfm] segments {} is a table for {} score bins, but score_bins is {}",
              config.source, config.segment_table, inputs.segment_table.score_bins(),
              config.rfm.score_bins);

  std::set<std::string> available;
  for (TableColumn const& column :
       rfm_customer_table(RfmTable{}, Transactions{}, inputs.segment_table, "").columns) {
    available.insert(column.name);
  }
  if (!config.attributes.empty()) {
    for (std::string const& name : read_header(config.attributes, config.attributes_delimiter)) {
      if (name == config.attributes_id_column) continue;
      CIE_EXPECTS(!available.contains(name),
                  "{}: the attributes file {} has a column {}, which the RFM table also has; "
                  "rename it",
                  config.source, config.attributes, name);
      inputs.attribute_columns.push_back(name);
    }
    available.insert(inputs.attribute_columns.begin(), inputs.attribute_columns.end());
  }

  if (config.segments.enabled && !config.segments.retrain) {
    ModelDocument const document = naming(config, "[segments] model", [&] {
      return read_model_file(config.segments.model, kSegmentModelKind);
    });
    inputs.segment_model.emplace(naming(config, "[segments] model", [&] {
      return SegmentModel::from_document(document, config.segments.model);
    }));
    inputs.segment_model_checksum = xxh64_hex(model_file_text(document));
    check_columns(inputs.segment_model->pipeline().column_names(), available,
                  "the segments model " + config.segments.model, config,
                  inputs.needed_columns);
  }
  if (config.segments.enabled && config.segments.retrain) {
    check_columns(config.segments.features, available, "[segments] features", config,
                  inputs.needed_columns);
  }
  for (NightlyPropensity const& entry : config.propensity) {
    std::string const key = fmt::format("[[propensity]] '{}' model", entry.name);
    ModelDocument document =
        naming(config, key, [&] { return read_model_file(entry.model, "propensity"); });
    PropensityModel model =
        naming(config, key, [&] { return PropensityModel::from_document(document, entry.model); });
    check_columns(model.encoder().input_columns(), available,
                  fmt::format("propensity model '{}' ({})", entry.name, entry.model), config,
                  inputs.needed_columns);
    inputs.propensity.push_back({entry.name, entry.model, std::move(document), std::move(model)});
  }
  return inputs;
}

CustomerTable read_attributes(NightlyConfig const& config, NightlyInputs const& inputs) {
  CustomerTableRequest request;
  request.id_column = config.attributes_id_column;
  request.delimiter = config.attributes_delimiter;
  request.needed_by = config.source;
  for (std::string const& name : inputs.needed_columns) {
    if (std::find(inputs.attribute_columns.begin(), inputs.attribute_columns.end(), name) !=
        inputs.attribute_columns.end()) {
      request.columns.push_back(name);
    }
  }
  // No model reads an attribute: the file still decides which customers are scored (the join),
  // so read its ids and its first column only.
  if (request.columns.empty() && !inputs.attribute_columns.empty()) {
    request.columns.push_back(inputs.attribute_columns.front());
  }
  for (LoadedPropensity const& loaded : inputs.propensity) {
    for (EncodedColumnSpec const& spec : loaded.model.encoder().specs()) {
      auto& list = spec.type == ColumnType::kCategorical ? request.categorical : request.numeric;
      if (std::find(list.begin(), list.end(), spec.name) == list.end()) list.push_back(spec.name);
    }
  }
  return read_customer_table(config.attributes, request);
}

json input_file_json(std::string const& path, ReadReport const& read) {
  std::size_t bytes = 0;
  std::string const checksum = file_xxh64(path, bytes);
  return {{"path", path},
          {"bytes", bytes},
          {"xxh64", checksum},
          {"data_lines", read.data_lines},
          {"rows", read.rows_accepted},
          {"rejected_rows", read.rows_rejected},
          {"excluded_returns", read.rows_excluded_returns},
          {"first_rejection", read.first_rejection}};
}

json input_file_json(std::string const& path, std::size_t rows) {
  std::size_t bytes = 0;
  std::string const checksum = file_xxh64(path, bytes);
  return {{"path", path}, {"bytes", bytes}, {"xxh64", checksum}, {"rows", rows}};
}

json model_json(LoadedPropensity const& loaded) {
  return {{"name", loaded.name},
          {"path", loaded.path},
          {"checksum", xxh64_hex(model_file_text(loaded.document))},
          {"engine_version", loaded.document.engine_version},
          {"created_utc", loaded.document.created_utc},
          {"target", loaded.model.target()},
          {"features", loaded.model.encoder().feature_names().size()}};
}

json rfm_segment_json(RfmTable const& rfm, SegmentTable const& segments,
                      std::vector<std::size_t> const& rows) {
  std::vector<std::size_t> count(segments.segment_count());
  std::vector<double> revenue(segments.segment_count());
  for (std::size_t const row : rows) {
    auto const s = static_cast<std::size_t>(rfm.segment[row]);
    ++count[s];
    revenue[s] += rfm.monetary_total[row];
  }
  json out = json::array();
  for (std::size_t s = 0; s < count.size(); ++s) {
    out.push_back({{"segment", segments.name(s)}, {"customers", count[s]}, {"revenue", revenue[s]}});
  }
  return out;
}

json stages_json(std::vector<StageTiming> const& stages) {
  json out = json::array();
  for (StageTiming const& stage : stages) {
    out.push_back({{"name", stage.name},
                   {"seconds", stage.seconds},
                   {"rows", stage.rows},
                   {"peak_rss_bytes", stage.peak_rss_bytes},
                   {"peak_is_per_stage", stage.peak_is_per_stage}});
  }
  return out;
}

}  // namespace cie
