#include "models/model_document.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <ctime>

#include "core/error.hpp"

namespace cie {
namespace {

using nlohmann::json;

constexpr char kChecksumKey[] = "checksum";

std::string utc_now_iso() {
  std::time_t const now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

json fingerprint_to_json(DataFingerprint const& fingerprint) {
  return {{"xxh64", fmt::format("{:016x}", fingerprint.xxh64)},
          {"rows", fingerprint.rows},
          {"cols", fingerprint.cols}};
}

/// The document without its checksum, as the checksum covers it.
std::string checksum_of(json document) {
  document.erase(kChecksumKey);
  return xxh64_hex(document.dump());
}

/// The value of `key` in `object`, which must have `type`; a usage error naming the key if not.
json const& member(json const& object, char const* key, json::value_t type,
                   std::string const& source, std::string_view what) {
  auto const found = object.find(key);
  if (found == object.end()) {
    fail(ExitCode::kUsage, "model file {} is damaged: {} has no '{}'", source, what, key);
  }
  // A JSON number without a fraction parses as an integer; a float field may hold one.
  bool const matches = found->type() == type ||
                       (type == json::value_t::number_float && found->is_number()) ||
                       (type == json::value_t::number_unsigned && found->is_number_integer() &&
                        found->get<std::int64_t>() >= 0);
  if (!matches) {
    // type_name() says "number" for every kind of number: say which one was expected.
    auto const describe = [](json::value_t t, json const* value) -> std::string {
      switch (t) {
        case json::value_t::number_unsigned:
          return "whole number >= 0";
        case json::value_t::number_integer:
          return value != nullptr && value->get<std::int64_t>() < 0 ? "negative whole number"
                                                                    : "whole number";
        case json::value_t::number_float:
          return value != nullptr ? "fractional number" : "number";
        default:
          return json(t).type_name();
      }
    };
    fail(ExitCode::kUsage, "model file {} is damaged: '{}' in {} is a {}, expected a {}", source,
         key, what, describe(found->type(), &*found), describe(type, nullptr));
  }
  return *found;
}

}  // namespace

std::string xxh64_hex(std::string_view bytes, std::uint64_t seed) {
  return fmt::format("{:016x}", XXH64(bytes.data(), bytes.size(), seed));
}

DataFingerprint fingerprint_matrix(std::span<float const> values, std::size_t rows) {
  DataFingerprint fingerprint;
  fingerprint.rows = rows;
  fingerprint.cols = rows == 0 ? 0 : values.size() / rows;
  fingerprint.xxh64 = XXH64(values.data(), values.size_bytes(), rows);
  return fingerprint;
}

std::string model_file_text(ModelDocument const& document) {
  json out = {{"format_version", kModelFormatVersion},
              {"kind", document.kind},
              {"features", document.features},
              {"params", document.params},
              {"fitted", document.fitted},
              {"training_metrics", document.training_metrics},
              {"training_data", fingerprint_to_json(document.training_data)},
              {"engine_version", document.engine_version},
              {"created_utc", document.created_utc.empty() ? utc_now_iso() : document.created_utc}};
  out[kChecksumKey] = checksum_of(out);
  return out.dump(1) + "\n";
}

ModelDocument parse_model_file(std::string_view text, std::string const& source,
                               std::string_view expected_kind) {
  json document;
  try {
    document = json::parse(text);
  } catch (json::parse_error const& e) {
    fail(ExitCode::kUsage, "model file {} is damaged: not valid JSON (byte {})", source, e.byte);
  } catch (json::exception const& e) {  // e.g. a number out of range (1e999)
    fail(ExitCode::kUsage, "model file {} is damaged: {}", source, e.what());
  }
  CIE_EXPECTS(document.is_object(), "model file {} is damaged: not a JSON object", source);
  std::string_view const top = "the document";
  std::int64_t const version =
      member(document, "format_version", json::value_t::number_unsigned, source, top)
          .get<std::int64_t>();
  CIE_EXPECTS(version == kModelFormatVersion,
              "model file {} has format version {}; this cie {} reads version {} only", source,
              version, CIE_VERSION, kModelFormatVersion);
  auto const stored =
      member(document, kChecksumKey, json::value_t::string, source, top).get<std::string>();
  std::string const computed = checksum_of(document);
  CIE_EXPECTS(stored == computed,
              "model file {} is damaged: checksum mismatch (stored {}, computed {})", source,
              stored, computed);

  ModelDocument result;
  result.kind = member(document, "kind", json::value_t::string, source, top).get<std::string>();
  CIE_EXPECTS(result.kind == expected_kind, "model file {} holds a '{}' model, not a '{}' model",
              source, result.kind, expected_kind);
  result.features = member(document, "features", json::value_t::object, source, top);
  result.params = member(document, "params", json::value_t::object, source, top);
  result.fitted = member(document, "fitted", json::value_t::object, source, top);
  result.training_metrics =
      member(document, "training_metrics", json::value_t::object, source, top);
  json const& data = member(document, "training_data", json::value_t::object, source, top);
  std::string_view const data_what = "training_data";
  std::string const hash =
      member(data, "xxh64", json::value_t::string, source, data_what).get<std::string>();
  CIE_EXPECTS(hash.size() == 16 && hash.find_first_not_of("0123456789abcdef") == std::string::npos,
              "model file {} is damaged: training_data.xxh64 '{}' is not 16 hex digits", source,
              hash);
  result.training_data.xxh64 = std::stoull(hash, nullptr, 16);
  result.training_data.rows =
      member(data, "rows", json::value_t::number_unsigned, source, data_what).get<std::size_t>();
  result.training_data.cols =
      member(data, "cols", json::value_t::number_unsigned, source, data_what).get<std::size_t>();
  result.engine_version =
      member(document, "engine_version", json::value_t::string, source, top).get<std::string>();
  result.created_utc =
      member(document, "created_utc", json::value_t::string, source, top).get<std::string>();
  return result;
}

}  // namespace cie
