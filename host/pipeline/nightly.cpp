#include "host/pipeline/nightly.hpp"

#include <algorithm>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "host/io/output_paths.hpp"
#include "host/pipeline/publish.hpp"
#include "host/pipeline/nightly_report.hpp"
#include "host/pipeline/nightly_run.hpp"
#include "kernels/device.hpp"

namespace cie {
namespace {

namespace fs = std::filesystem;

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
  if (config.clv.enabled) stages.push_back(clv_stage());
  for (NightlyUplift const& entry : config.uplift) stages.push_back(uplift_stage(entry));
  stages.push_back(write_stage());
  return stages;
}

/// Outputs replace no input and no other output, and no input lives in the output directory,
/// which each publish replaces whole.
void check_paths(NightlyConfig const& config) {
  std::string const where = config.source + ": ";
  std::vector<NamedPath> inputs = {{config.transactions, where + "[inputs] transactions"},
                                   {config.attributes, where + "[inputs] attributes"},
                                   {config.segment_table, where + "[rfm] segments"},
                                   {config.segments.model, where + "[segments] model"}};
  for (NightlyPropensity const& entry : config.propensity) {
    inputs.push_back({entry.model, where + "[[propensity]] '" + entry.name + "' model"});
  }
  inputs.push_back({config.clv.model, where + "[clv] model"});
  for (NightlyUplift const& entry : config.uplift) {
    inputs.push_back({entry.model, where + "[[uplift]] '" + entry.name + "' model"});
  }
  fs::path directory = fs::absolute(config.output_directory).lexically_normal();
  if (!directory.has_filename()) directory = directory.parent_path();  // "out/" as "out"
  auto const in_output = [&](std::string const& file) {
    return (directory / file).string();
  };
  std::vector<NamedPath> outputs = {
      {in_output(config.customers_file), where + "[output] customers"},
      {in_output(config.report_file), where + "[output] report"},
      {config.transactions_format.quarantine_path, where + "[inputs] bad_rows quarantine"}};
  if (config.segments.retrain) {
    outputs.push_back({in_output("segments_model.json"), where + "the retrained segments model"});
  }
  check_output_paths(inputs, outputs);
  for (NamedPath const& input : inputs) {
    if (input.path.empty()) continue;
    fs::path const file = fs::absolute(input.path).lexically_normal();
    auto const [end, _] = std::mismatch(directory.begin(), directory.end(), file.begin(), file.end());
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
  std::vector<std::unique_ptr<NightlyStage>> const stages = nightly_stages(config);
  // Everything that can be checked without reading the data is checked first.
  for (auto const& stage : stages) stage->check(run);

  OutputLock const lock(config.output_directory, config.wait_for_lock);
  PublishRecovery const recovery = recover_interrupted_publish(config.output_directory);
  if (recovery.restored_previous) {
    logger->warn("{}: restored the previous outputs left by an interrupted publish",
                 config.output_directory);
  }
  auto const top_level = [](std::string const& file) {
    return fs::path(file).begin()->string();
  };
  check_output_directory_owned(config.output_directory,
                               {top_level(config.customers_file), top_level(config.report_file),
                                "segments_model.json"});
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
