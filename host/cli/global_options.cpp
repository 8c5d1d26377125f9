#include <memory>

#include "host/cli/commands.hpp"

namespace cie::cli {

Context make_context(GlobalOptions const& global) {
  auto logger = std::make_shared<Logger>(parse_log_level(global.log_level));
  ContextOptions options;
  options.device = DeviceRequest::parse(global.device);
  options.threads = global.threads;
  options.seed = global.seed;
  return Context(options, std::move(logger));
}

}  // namespace cie::cli
