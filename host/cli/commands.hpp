// The `cie` command line: options shared by every subcommand, and one add_*_command function per
// subcommand (each in host/cli/<name>_command.cpp). A command reports failures by throwing
// cie::Error; main() turns them into messages and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "host/context.hpp"

namespace cie::cli {

struct GlobalOptions {
  std::string device = "auto";  ///< auto | cpu | cuda | cuda:N
  int threads = 0;              ///< 0 = all cores
  std::uint64_t seed = 42;
  std::string log_level = "info";
};

/// Builds the run's Context from the global options (resolving --device auto).
Context make_context(GlobalOptions const& global);

void add_gen_command(CLI::App& app, GlobalOptions const& global);
void add_rfm_command(CLI::App& app, GlobalOptions const& global);

}  // namespace cie::cli
