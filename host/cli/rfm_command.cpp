#include "host/cli/commands.hpp"

namespace cie::cli {
void add_rfm_command(CLI::App& app, GlobalOptions const& global) {
  (void)global;
  app.add_subcommand("rfm", "RFM features, scores and segments from a transactions file");
}
}  // namespace cie::cli
