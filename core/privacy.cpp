#include "core/privacy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstddef>

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

namespace {

/// The length of the valid UTF-8 sequence of 2 to 4 bytes starting at text[at], or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
  auto const lead = static_cast<unsigned char>(text[at]);
  std::size_t const length = lead >= 0xc2 && lead <= 0xdf   ? 2
                             : lead >= 0xe0 && lead <= 0xef ? 3
                             : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                            : 0;
  if (length == 0 || at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(text[at + i]) & 0xc0) != 0x80) return 0;
  }
  return length;
}

/// Escapes what a terminal must not see raw.
std::string escape_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    auto const byte = static_cast<unsigned char>(text[at]);
    if ((byte >= 0x20 && byte < 0x7f) || byte == '\n' || byte == '\t') {
      out.push_back(text[at++]);
    } else if (std::size_t const length = byte >= 0x80 ? utf8_sequence(text, at) : 0) {
      out.append(text.substr(at, length));
      at += length;
    } else {
      out += fmt::format("\\x{:02x}", byte);
      ++at;
    }
  }
  return out;
}

/// Backs `at` off a UTF-8 continuation byte so that a cut never splits a character.
std::size_t character_start(std::string_view text, std::size_t at) {
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) {
    --at;
  }
  return at;
}

}  // namespace

std::string printable_message(std::string_view message) {
  constexpr std::size_t kLongRun = 512;
  constexpr std::size_t kRunKept = 64;
  constexpr std::size_t kMaxMessage = std::size_t{16} << 10;
  constexpr std::size_t kHeadKept = std::size_t{8} << 10;
  constexpr std::size_t kTailKept = std::size_t{2} << 10;
  std::string const escaped = escape_bytes(message);
  std::string shortened;
  shortened.reserve(std::min(escaped.size(), 2 * kMaxMessage));
  for (std::size_t at = 0; at < escaped.size();) {
    std::size_t end = escaped.find_first_of(" \n\t", at);
    if (end == std::string::npos) end = escaped.size();
    std::string_view const run = std::string_view(escaped).substr(at, end - at);
    if (run.size() > kLongRun) {
      shortened.append(run.substr(0, character_start(run, kRunKept)));
      shortened += fmt::format("...({} bytes)", run.size());
    } else {
      shortened.append(run);
    }
    if (end < escaped.size()) shortened.push_back(escaped[end]);
    at = end + 1;
  }
  if (shortened.size() <= kMaxMessage) return shortened;
  std::size_t const head = character_start(shortened, kHeadKept);
  std::size_t const tail = character_start(shortened, shortened.size() - kTailKept);
  return fmt::format("{} ...[{} bytes of this message left out]... {}",
                     std::string_view(shortened).substr(0, head), tail - head,
                     std::string_view(shortened).substr(tail));
}

}  // namespace cie
