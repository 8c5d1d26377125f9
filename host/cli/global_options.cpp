#include <atomic>
#include <csignal>
#include <memory>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "host/cli/commands.hpp"
#include "kernels/device.hpp"

namespace cie::cli {
namespace {

std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

/// The first Ctrl-C asks the running command to stop at its next check (the long loops poll the
/// interrupt check, core/interrupt.hpp): it exits with code 130 and "interrupted", before it
/// writes its outputs (a Ctrl-C after the computation lets it finish). The handler is one-shot
/// (SA_RESETHAND): a second Ctrl-C ends the process at once.
extern "C" void on_sigint(int) { g_interrupted.store(true); }

void install_sigint_handler() {
  struct sigaction action = {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  (void)sigaction(SIGINT, &action, nullptr);
}

}  // namespace

Context make_context(GlobalOptions const& global) {
  auto logger = std::make_shared<Logger>(parse_log_level(global.log_level));
  ContextOptions options;
  options.device = DeviceRequest::parse(global.device);
  options.threads = global.threads;
  options.seed = global.seed;
  Context ctx = kernels::open_context(options, std::move(logger));
  install_sigint_handler();
  // The command's computations run on this thread: its interrupt check, for the process's life.
  static InterruptScope const interrupts([] { return g_interrupted.load(); });
  return ctx;
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
