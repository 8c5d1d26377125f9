// The `cie` command: parses the command line, runs one subcommand, and maps errors to exit codes
// (0 success, 1 internal, 2 usage or configuration, 3 input data, 4 device).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/privacy.hpp"
#include "core/pseudonymize.hpp"
#include "host/cli/commands.hpp"

namespace {

/// `--log-level quiet`: no output but errors. The logger drops every log line at that level;
/// what commands print to stdout (summaries, tables, "wrote FILE") goes to /dev/null from here
/// on, before any command runs. Errors still reach stderr (main's "cie: error: ...").
void silence_stdout() {
  std::fflush(stdout);
  int const null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null < 0) return;
  (void)::dup2(null, STDOUT_FILENO);
  ::close(null);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cie: customer intelligence engine (RFM, segmentation, propensity)", "cie"};
  app.set_version_flag("--version", CIE_VERSION);
  app.require_subcommand(1);
  // Option values are echoed in parse errors: made printable like every other message.
  app.failure_message([](CLI::App const* failed, CLI::Error const& e) {
    return cie::printable_message(CLI::FailureMessage::simple(failed, e));
  });
  app.fallthrough();  // global options may follow the subcommand: cie gen --seed 7 ...
  cie::cli::GlobalOptions global;
  app.add_option("--device", global.device, "auto | cpu | cuda | cuda:N")->capture_default_str();
  app.add_option("--threads", global.threads, "CPU threads (0 = all cores)")->capture_default_str();
  app.add_option("--seed", global.seed, "random seed")->capture_default_str();
  app.add_option("--log-level", global.log_level, "debug | info | warn | error | quiet")
      ->capture_default_str();
  app.add_flag_callback(
         "--show-values", [] { cie::set_show_values(true); },
         "show field values in error messages (customer data: for debugging)")
      ->trigger_on_parse();
  app.add_option_function<std::string>(
         "--pseudonymize-ids", [](std::string const& path) { cie::set_pseudonym_key_file(path); },
         "write HMAC-SHA-256 hashes under the key in KEYFILE (32 to 4096 bytes, chmod 600) "
         "instead of customer ids, in every output")
      ->type_name("KEYFILE")
      ->trigger_on_parse();
  // Runs once the command line is parsed (global options after the subcommand included), before
  // the subcommand's callback.
  app.parse_complete_callback([&global] {
    if (global.log_level == "quiet") silence_stdout();
  });
  cie::cli::add_gen_command(app, global);
  cie::cli::add_rfm_command(app, global);
  cie::cli::add_segment_command(app, global);
  cie::cli::add_propensity_command(app, global);
  cie::cli::add_clv_command(app, global);
  cie::cli::add_campaign_command(app, global);
  cie::cli::add_uplift_command(app, global);
  cie::cli::add_offers_command(app, global);
  cie::cli::add_run_command(app, global);

  try {
    app.parse(argc, argv);
  } catch (CLI::CallForHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForAllHelp const& e) {
    return app.exit(e);
  } catch (CLI::CallForVersion const& e) {
    return app.exit(e);
  } catch (CLI::ParseError const& e) {
    app.exit(e);
    return static_cast<int>(cie::ExitCode::kUsage);
  } catch (cie::Error const& e) {
    std::fprintf(stderr, "cie: error: %s\n", cie::printable_message(e.what()).c_str());
    return static_cast<int>(e.code());
  } catch (std::bad_alloc const&) {
    std::fprintf(stderr, "cie: error: out of host memory\n");
    return static_cast<int>(cie::ExitCode::kInternal);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "cie: internal error: %s\n", cie::printable_message(e.what()).c_str());
    return static_cast<int>(cie::ExitCode::kInternal);
  }
  return 0;
}
