// The nightly run: transactions in, one published customer table and a run report out.
//
//   check     the configuration, the segment table, every model file and the columns each model
//             needs (RFM columns + the attributes file's header), before any heavy work
//   read      transactions (parallel parser) and attributes
//   rfm       RFM features, scores and named segments
//   segments  k-means clusters from a saved model, or a model fitted tonight (published too)
//   score     each propensity model, in batches sized by plan_batches from the memory budget and
//             the GPU's free memory; a device failure retries the batch at half size, then falls
//             back to the CPU with a warning unless the GPU was demanded (then exit code 4)
//   write     customers file: the `cie rfm` columns, then cluster, then <name>_probability and
//             <name>_decile per model; and the run report (JSON)
//   publish   the whole output directory at once (host/pipeline/publish.hpp): a run killed at any
//   point
//             leaves the previous night's outputs complete; nothing is half-written.
//
// Customers are those with a transaction before the as-of day and, when an attributes file is
// given, a row there too (inner join; both sides' unmatched counts are in the report).
// The customers file is byte-identical for the same inputs and seed; the report differs only in
// times, memory and the creation time.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>

#include "core/logger.hpp"
#include "host/pipeline/nightly_config.hpp"

namespace cie {

/// Runs `config` and returns the run report (also published as config.report_file). Throws
/// cie::Error with the exit code of the failure; on any failure nothing is published.
nlohmann::json run_nightly(NightlyConfig const& config, std::shared_ptr<Logger> logger);

/// The readable summary of a run report for stdout.
std::string format_nightly_summary(nlohmann::json const& report);

}  // namespace cie
