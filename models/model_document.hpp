// The model document: one JSON document per fitted model, for every model kind (k-means,
// propensity, ...), as ARCHITECTURE.md ("Models and model files") describes. This is its form
// (text <-> document, checksum, fingerprint); host/io/model_file.hpp reads and writes the files.
//
// Layout (keys of the top-level object):
//   format_version    integer, kModelFormatVersion
//   kind              the model kind, e.g. "kmeans"
//   features          the feature schema (names, order, transforms, scaler): owned by the model
//   params            the parameters it was fitted with
//   fitted            the fitted arrays (centroids, coefficients, ...)
//   training_metrics  what fitting measured (inertia, log-loss, ...)
//   training_data     fingerprint of the training matrix: {"xxh64": hex, "rows": n, "cols": d}
//   engine_version    CIE_VERSION of the cie that wrote it
//   created_utc       creation time, ISO 8601 UTC ("2025-01-31T12:00:00Z")
//   checksum          xxHash64 (hex, 16 digits) of the compact dump (nlohmann::json::dump(), keys
//                     sorted) of the document without the checksum key
// The file itself is written indented for people to read; the checksum does not depend on the
// indentation since it is computed over the re-dumped parse. Any edit of a value, even one that
// keeps the JSON valid, is detected.
//
// Every problem found when loading (unreadable, not JSON, checksum mismatch, unknown format
// version, another kind, a missing key) is a usage error (exit code 2) whose message starts with
// "model file PATH".
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cie {

/// The format version this cie writes and the only one it reads.
inline constexpr int kModelFormatVersion = 1;

/// What identifies a training matrix: xxHash64 of its bytes (seeded with the row count, so the
/// same bytes cut into a different shape differ) and its shape.
struct DataFingerprint {
  std::uint64_t xxh64 = 0;
  std::size_t rows = 0;
  std::size_t cols = 0;

  friend bool operator==(DataFingerprint const&, DataFingerprint const&) = default;
};

/// Fingerprint of a column-major float32 matrix of `rows` × values.size() / rows.
DataFingerprint fingerprint_matrix(std::span<float const> values, std::size_t rows);

/// The content of a model file, with the sections that the model owns left as JSON.
struct ModelDocument {
  std::string kind;
  nlohmann::json features = nlohmann::json::object();
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json fitted = nlohmann::json::object();
  nlohmann::json training_metrics = nlohmann::json::object();
  DataFingerprint training_data;
  std::string engine_version = CIE_VERSION;  ///< set when written; read back on load
  std::string created_utc;                   ///< empty: the time of writing
};

/// The file text of `document`: indented JSON with format_version, creation time (if empty) and
/// checksum filled in.
std::string model_file_text(ModelDocument const& document);

/// Parses and checks a model file's text; `source` names it in messages. Checks, in order: JSON
/// syntax, format_version, checksum, kind == expected_kind, presence and types of every key.
ModelDocument parse_model_file(std::string_view text, std::string const& source,
                               std::string_view expected_kind);

/// The xxHash64 of `bytes` as 16 lower-case hex digits.
std::string xxh64_hex(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace cie
