#include "host/pipeline/nightly.hpp"

#include "core/atomic_file.hpp"
#include "host/pipeline/nightly_report.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "kernels/device.hpp"

namespace cie {
namespace {

/// The stages of a run, in order. A new stage is one file in host/pipeline/stages/ and one line
/// here.
std::vector<std::unique_ptr<NightlyStage>> nightly_stages(NightlyConfig const& config) {
  std::vector<std::unique_ptr<NightlyStage>> stages;
  stages.push_back(read_transactions_stage());
  stages.push_back(rfm_stage());
  stages.push_back(customers_stage());
  if (config.segments.enabled) stages.push_back(segments_stage());
  for (NightlyPropensity const& entry : config.propensity) {
    stages.push_back(propensity_stage(entry));
  }
  stages.push_back(write_stage());
  return stages;
}

}  // namespace

nlohmann::json run_nightly(NightlyConfig const& config, std::shared_ptr<Logger> logger) {
  NightlyRun run{config, logger};
  std::vector<std::unique_ptr<NightlyStage>> const stages = nightly_stages(config);
  // Everything that can be checked without reading the data is checked first.
  for (auto const& stage : stages) stage->check(run);

  PublishRecovery const recovery = recover_interrupted_publish(config.output_directory);
  if (recovery.restored_previous) {
    logger->warn("{}: restored the previous outputs left by an interrupted publish",
                 config.output_directory);
  }
  OutputStaging staging(config.output_directory);
  run.staging = &staging;
  ContextOptions options;
  options.device = DeviceRequest::parse(config.device);
  options.threads = config.threads;
  options.seed = config.seed;
  options.memory_budget_bytes = config.memory_limit_bytes;
  run.ctx = kernels::open_context(options, logger);
  std::string const device = run.ctx.device_name();
  run.report = {{"config", config.source},
                {"device", device},
                {"seed", config.seed},
                {"memory_limit_bytes", run.ctx.memory_budget_bytes()},
                {"models", nlohmann::json::array()}};

  for (auto const& stage : stages) stage->run(run);

  if (run.ctx.device_name() != device) {
    run.report["device_fallback"] = run.ctx.device_name();  // a device failure moved the rest
  }
  run.report["stages"] = stages_json(run.timings);
  run.report["outputs"] = {{"directory", config.output_directory},
                           {"customers", config.customers_file},
                           {"report", config.report_file}};
  write_file_atomically(staging.path(config.report_file), run.report.dump(2) + "\n");
  staging.commit();
  return run.report;
}

}  // namespace cie
