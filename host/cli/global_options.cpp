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

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) parts.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace cie::cli
