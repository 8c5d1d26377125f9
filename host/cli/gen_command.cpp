#include "host/cli/commands.hpp"

namespace cie::cli {
void add_gen_command(CLI::App& app, GlobalOptions const& global) {
  (void)global;
  app.add_subcommand("gen", "generate synthetic customers, transactions and campaigns");
}
}  // namespace cie::cli
