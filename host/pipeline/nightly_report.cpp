#include "host/pipeline/nightly_report.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <fstream>
#include <memory>

#include "core/error.hpp"

namespace cie {
namespace {

using nlohmann::json;

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

}  // namespace

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
