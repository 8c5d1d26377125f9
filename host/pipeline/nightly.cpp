#include "host/pipeline/nightly.hpp"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/io/output_paths.hpp"
#include "host/pipeline/nightly_report.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "host/pipeline/publish.hpp"
#include "kernels/device.hpp"

namespace cie {

/// The stages of a run, in order, each with the configuration section it owns. A new stage is
/// one file in host/pipeline/stages/ and one line here.
std::vector<NightlyStageKind> const& nightly_stage_kinds() {
  static std::vector<NightlyStageKind> const kinds = {
      read_transactions_stage(),  // [inputs] (the run's section)
      rfm_stage(),                // [rfm]
      customers_stage(),          // [inputs] attributes
      segments_stage(),           // [segments]
      propensity_stage(),         // [[propensity]]
      clv_stage(),                // [clv]
      uplift_stage(),             // [[uplift]]
      offers_stage(),             // [offers]
      write_stage(),              // [output] customers
  };
  return kinds;
}

namespace {

namespace fs = std::filesystem;

/// Outputs replace no input and no other output, and no input lives in the output directory,
/// which each publish replaces whole.
void check_paths(NightlyConfig const& config) {
  std::string const where = config.source + ": ";
  std::vector<NamedPath> inputs = {{config.transactions, where + "[inputs] transactions"},
                                   {config.attributes, where + "[inputs] attributes"}};
  for (NamedPath const& input : config.stage_inputs) {
    inputs.push_back({input.path, where + input.setting});
  }
  fs::path directory = fs::absolute(config.output_directory).lexically_normal();
  if (!directory.has_filename()) directory = directory.parent_path();  // "out/" as "out"
  auto const in_output = [&](std::string const& file) { return (directory / file).string(); };
  std::vector<NamedPath> outputs = {
      {in_output(config.customers_file), where + "[output] customers"},
      {in_output(config.report_file), where + "[output] report"},
      {config.transactions_format.quarantine_path, where + "[inputs] bad_rows quarantine"}};
  for (NamedPath const& output : config.stage_outputs) {
    outputs.push_back({in_output(output.path), where + output.setting});
  }
  check_output_paths(inputs, outputs);
  for (NamedPath const& input : inputs) {
    if (input.path.empty()) continue;
    fs::path const file = fs::absolute(input.path).lexically_normal();
    auto const [end, _] =
        std::mismatch(directory.begin(), directory.end(), file.begin(), file.end());
    CIE_EXPECTS(end != directory.end(),
                "{} {} is inside the output directory {}, which each run replaces whole; keep "
                "inputs elsewhere",
                input.setting, input.path, config.output_directory);
  }
}

}  // namespace

nlohmann::json run_nightly(NightlyConfig const& config, std::shared_ptr<Logger> logger) {
  check_paths(config);
  NightlyRun run(config, logger);
  std::vector<std::shared_ptr<NightlyStage>> const& stages = config.stages;
  // Everything that can be checked without reading the data is checked first.
  for (auto const& stage : stages) stage->check(run);

  OutputLock const lock(config.output_directory, config.wait_for_lock);
  PublishRecovery const recovery = recover_interrupted_publish(config.output_directory);
  if (recovery.restored_previous) {
    logger->warn("{}: restored the previous outputs left by an interrupted publish",
                 config.output_directory);
  }
  auto const top_level = [](std::string const& file) { return fs::path(file).begin()->string(); };
  std::vector<std::string> owned = {top_level(config.customers_file),
                                    top_level(config.report_file)};
  owned.insert(owned.end(), config.published_names.begin(), config.published_names.end());
  check_output_directory_owned(config.output_directory, owned);
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
