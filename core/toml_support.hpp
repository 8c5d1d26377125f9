// Small helpers for reading TOML files (toml++) with messages that name the file and line.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <set>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cie {

/// "FILE:LINE" of a node, for messages.
inline std::string toml_where(std::string const& source_name, toml::node const& node) {
  return fmt::format("{}:{}", source_name, node.source().begin.line);
}

/// A usage error naming the first key of `table` that is not in `allowed`.
inline void reject_unknown_keys(toml::table const& table, std::set<std::string_view> const& allowed,
                                std::string const& source_name, std::string_view context) {
  for (auto const& [key, value] : table) {
    if (!allowed.contains(key.str())) {
      fail(ExitCode::kUsage, "{}: unknown key '{}' in {}", toml_where(source_name, value),
           key.str(), context);
    }
  }
}

}  // namespace cie
