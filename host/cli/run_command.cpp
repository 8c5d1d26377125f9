// `cie run nightly.toml`: the nightly pipeline (host/pipeline/nightly.hpp). --as-of and --device
// override the configuration; so do the global --threads and --seed when given.
#include <fmt/format.h>

#include <memory>

#include "core/date.hpp"
#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "host/pipeline/nightly.hpp"

namespace cie::cli {

void add_run_command(CLI::App& app, GlobalOptions const& global) {
  struct RunOptions {
    std::string config_path;
    std::string as_of;
    bool wait = false;
  };
  auto options = std::make_shared<RunOptions>();
  CLI::App* run = app.add_subcommand(
      "run",
      "the nightly run: transactions to published customer scores (see datasets/nightly.toml)");
  run->fallthrough();
  run->add_option("config", options->config_path, "the run's TOML configuration")->required();
  run->add_option("--as-of", options->as_of, "analysis date, overriding [run] as_of");
  run->add_flag("--wait", options->wait,
                "wait for another run on the same output directory instead of failing");
  run->callback([options, &global, &app] {
    NightlyConfig config = read_nightly_config(options->config_path);
    if (!options->as_of.empty()) {
      std::optional<std::int32_t> const day = parse_date(options->as_of);
      CIE_EXPECTS(day.has_value(), "--as-of: expected a date such as 2026-01-01, got '{}'",
                  options->as_of);
      config.as_of_day = day;
    }
    config.wait_for_lock = options->wait;
    if (app.get_option("--device")->count() > 0) config.device = global.device;
    if (app.get_option("--threads")->count() > 0) config.threads = global.threads;
    if (app.get_option("--seed")->count() > 0) config.seed = global.seed;
    auto logger = std::make_shared<Logger>(parse_log_level(global.log_level));
    nlohmann::json const report = run_nightly(config, logger);
    fmt::print("{}", format_nightly_summary(report));
  });
}

}  // namespace cie::cli
