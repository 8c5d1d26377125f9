// The run report's shared JSON pieces (host/pipeline/nightly.hpp describes the report).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "host/io/transactions_reader.hpp"
#include "host/pipeline/progress.hpp"

namespace cie {

/// {"path", "bytes", "xxh64", ...counts}: what the report says about one input file.
nlohmann::json input_file_json(std::string const& path, ReadReport const& read);
nlohmann::json input_file_json(std::string const& path, std::size_t rows);
nlohmann::json stages_json(std::vector<StageTiming> const& stages);

}  // namespace cie
