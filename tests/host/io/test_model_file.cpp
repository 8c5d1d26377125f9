// Model files: round trip, and refusal of damaged, foreign and future files with exit code 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "core/text_file.hpp"
#include "host/io/model_file.hpp"
#include "tests/test_support.hpp"

namespace cie {
namespace CIE_TEST_FILE_ID {

using ::testing::HasSubstr;

ModelDocument sample_document() {
  ModelDocument document;
  document.kind = "kmeans";
  document.features = {{"standardize", true}, {"columns", {{{"name", "recency_days"}}}}};
  document.params = {{"n_clusters", 2}, {"tol", 1e-4}};
  document.fitted = {{"centroids", {{0.25f, -1.5f}, {1.0f / 3.0f, 2.0f}}}};
  document.training_metrics = {{"inertia", 12.5}};
  std::vector<float> const matrix = {1.0f, 2.0f, 3.0f, 4.0f};
  document.training_data = fingerprint_matrix(matrix, 2);
  return document;
}

std::string error_of(std::string_view text, std::string_view kind) {
  try {
    (void)parse_model_file(text, "m.json", kind);
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "the model file was accepted";
  return {};
}

TEST(ModelFile, RoundTripKeepsEverySection) {
  cie::testing::TempDir dir;
  ModelDocument const written = sample_document();
  write_model_file(dir.file("m.json"), written);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1)
      << "no temporary file may be left behind";
  ModelDocument const read = read_model_file(dir.file("m.json"), "kmeans");
  EXPECT_EQ(read.kind, "kmeans");
  EXPECT_EQ(read.features, written.features);
  EXPECT_EQ(read.params, written.params);
  EXPECT_EQ(read.fitted["centroids"][1][0].get<float>(), 1.0f / 3.0f);
  EXPECT_EQ(read.training_metrics, written.training_metrics);
  EXPECT_EQ(read.training_data, written.training_data);
  EXPECT_EQ(read.engine_version, CIE_VERSION);
  EXPECT_EQ(read.created_utc.size(), 20u) << read.created_utc;
  EXPECT_EQ(read.created_utc.back(), 'Z');
}

TEST(ModelFile, FingerprintDependsOnBytesAndShape) {
  std::vector<float> const matrix = {1.0f, 2.0f, 3.0f, 4.0f};
  std::vector<float> changed = matrix;
  changed[3] = 4.5f;
  EXPECT_EQ(fingerprint_matrix(matrix, 2), fingerprint_matrix(matrix, 2));
  EXPECT_NE(fingerprint_matrix(matrix, 2).xxh64, fingerprint_matrix(changed, 2).xxh64);
  EXPECT_NE(fingerprint_matrix(matrix, 2).xxh64, fingerprint_matrix(matrix, 4).xxh64);
  EXPECT_EQ(fingerprint_matrix(matrix, 4).cols, 1u);
}

TEST(ModelFile, AChangedValueIsAChecksumMismatch) {
  std::string text = model_file_text(sample_document());
  std::size_t const position = text.find("12.5");
  ASSERT_NE(position, std::string::npos);
  text[position + 1] = '3';  // inertia 12.5 -> 13.5: still valid JSON
  std::string const message = error_of(text, "kmeans");
  EXPECT_THAT(message, HasSubstr("model file m.json is damaged: checksum mismatch (stored "));
  EXPECT_THAT(message, HasSubstr(", computed "));
}

TEST(ModelFile, TruncatedFileIsNotValidJson) {
  std::string const text = model_file_text(sample_document());
  EXPECT_THAT(error_of(text.substr(0, text.size() / 2), "kmeans"),
              HasSubstr("model file m.json is damaged: not valid JSON"));
}

TEST(ModelFile, AnotherKindIsRefused) {
  EXPECT_THAT(error_of(model_file_text(sample_document()), "propensity"),
              HasSubstr("model file m.json holds a 'kmeans' model, not a 'propensity' model"));
}

TEST(ModelFile, UnknownFormatVersionIsRefused) {
  nlohmann::json document = nlohmann::json::parse(model_file_text(sample_document()));
  document["format_version"] = kModelFormatVersion + 1;
  EXPECT_THAT(error_of(document.dump(), "kmeans"),
              HasSubstr("model file m.json has format version 2; this cie"));
}

TEST(ModelFile, MissingSectionIsDamaged) {
  nlohmann::json document = nlohmann::json::parse(model_file_text(sample_document()));
  document.erase("fitted");
  document.erase("checksum");
  document["checksum"] = xxh64_hex(document.dump());  // a consistent checksum, a missing key
  EXPECT_THAT(error_of(document.dump(), "kmeans"),
              HasSubstr("model file m.json is damaged: the document has no 'fitted'"));
}

TEST(ModelFile, UnreadableFileIsAUsageError) {
  cie::testing::TempDir dir;
  try {
    (void)read_model_file(dir.file("missing.json"), "kmeans");
    FAIL() << "no error";
  } catch (Error const& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_THAT(e.what(), HasSubstr("missing.json"));
  }
}

TEST(ModelFile, ANumberOutOfRangeIsADamagedFileNotAnInternalError) {
  std::string text = model_file_text(sample_document());
  text.replace(text.find("12.5"), 4, "1e999");
  EXPECT_THAT(error_of(text, "kmeans"), HasSubstr("model file m.json is damaged"));
}

TEST(ModelFile, AWrongKindOfNumberIsNamedExactly) {
  nlohmann::json document = nlohmann::json::parse(model_file_text(sample_document()));
  document["training_data"]["rows"] = -3;
  document.erase("checksum");
  document["checksum"] = xxh64_hex(document.dump());
  EXPECT_THAT(error_of(document.dump(), "kmeans"),
              HasSubstr("'rows' in training_data is a negative whole number, expected a whole "
                        "number >= 0"));
}

TEST(ModelFile, ADeviceOrDirectoryIsRefusedWithoutReadingIt) {
  cie::testing::TempDir dir;
  for (std::string const& path : {std::string("/dev/zero"), dir.path().string()}) {
    try {
      (void)read_model_file(path, "kmeans");
      FAIL() << "no error for " << path;
    } catch (Error const& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage);
      EXPECT_THAT(e.what(), HasSubstr("not a regular file"));
    }
  }
}

}  // namespace CIE_TEST_FILE_ID
}  // namespace cie
