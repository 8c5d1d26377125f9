#include "core/privacy.hpp"

#include <fmt/format.h>

#include <atomic>

namespace cie {
namespace {

std::atomic<bool> showing{false};

}  // namespace

void set_show_values(bool show) noexcept { showing = show; }

bool show_values() noexcept { return showing; }

std::string message_value(std::string_view value) {
  if (!show_values()) return "the value (--show-values shows it)";
  constexpr std::size_t kShown = 40;
  std::string out = "'";
  for (char const ch : value.substr(0, kShown)) {
    auto const byte = static_cast<unsigned char>(ch);
    if (byte >= 0x20 && byte < 0x7f && ch != '\'' && ch != '\\') {
      out.push_back(ch);
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  out.push_back('\'');
  if (value.size() > kShown) out += fmt::format("... ({} bytes)", value.size());
  return out;
}

}  // namespace cie
