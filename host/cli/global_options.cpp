#include <memory>

#include "core/error.hpp"
#include "host/cli/commands.hpp"
#include "kernels/device.hpp"

namespace cie::cli {

Context make_context(GlobalOptions const& global) {
  auto logger = std::make_shared<Logger>(parse_log_level(global.log_level));
  ContextOptions options;
  options.device = DeviceRequest::parse(global.device);
  options.threads = global.threads;
  options.seed = global.seed;
  return kernels::open_context(options, std::move(logger));
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

std::map<std::string, std::string, std::less<>> parse_assignments(std::string_view text,
                                                                  std::string_view option,
                                                                  std::string_view noun) {
  std::map<std::string, std::string, std::less<>> out;
  for (std::string const& assignment : split_list(text)) {
    std::size_t const equals = assignment.find('=');
    CIE_EXPECTS(equals != std::string::npos && equals > 0, "{}: expected COLUMN={}, got '{}'",
                option, noun, assignment);
    out[assignment.substr(0, equals)] = assignment.substr(equals + 1);
  }
  return out;
}

}  // namespace cie::cli
